"""Every human step, declared once: its input, who may take it, when, what it changes.

Each block below is one step of the pathway: its input dataclass (sent as a Temporal Workflow
Update), its checks, its effect and its `StepDeclaration`; the steps on the case as a whole
(assign, close, reopen, summons, identified again) are declared the same way in `lifecycle.py`.
The workflow's step update handler (one for all, by the declaration's `update` name), the HTTP
routes, the access table and the steps offered now are all derived from `STEPS` (see
`registry.py`). Adding a step means adding a block and its test.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from filrouge.core.cases.declaration import (
    COORDINATOR,
    NOTE,
    SHORT_TEXT,
    STAFF,
    Items,
    Route,
    StepDeclaration,
    Text,
    require,
)
from filrouge.core.cases.declaration import Step as Step
from filrouge.core.cases.lifecycle import LIFECYCLE_STEPS
from filrouge.core.cases.lifecycle import AssignReferentInput as AssignReferentInput
from filrouge.core.cases.lifecycle import CloseCaseInput as CloseCaseInput
from filrouge.core.cases.lifecycle import (
    RecordObligationReportInput as RecordObligationReportInput,
)
from filrouge.core.cases.lifecycle import RecordSummonsInput as RecordSummonsInput
from filrouge.core.cases.lifecycle import RectifyBirthDateInput as RectifyBirthDateInput
from filrouge.core.cases.lifecycle import ReidentifyInput as ReidentifyInput
from filrouge.core.cases.lifecycle import ReopenCaseInput as ReopenCaseInput
from filrouge.core.cases.pathway import CaseState, Rule
from filrouge.core.cases.transitions import StageReason, Transition
from filrouge.core.domain import (
    Actor,
    AttemptResult,
    Channel,
    ContactOutcome,
    Decision,
    FollowUpStatus,
    Outcome,
    Role,
    Solution,
    SolutionType,
    Stage,
)
from filrouge.core.durations import parse_duration

# ---------------------------------------------------------------- contacting


@dataclass
class RecordContactAttemptInput:
    actor: Actor
    channel: Channel
    result: AttemptResult


def _attempt(t: Transition, step: RecordContactAttemptInput) -> None:
    s = t.state
    s.attempts_in_stage += 1
    if step.result in (AttemptResult.JOINT, AttemptResult.MESSAGE_LAISSE):
        return
    spacing = parse_duration(s.policy.attempt_spacing)
    last = s.last_counted_failure_at
    if last is None or t.now >= spacing.after(last):
        s.failed_attempts += 1
        s.last_counted_failure_at = t.now
    if s.failed_attempts >= s.policy.max_failed_attempts:
        t.enter(Stage.INJOIGNABLE, StageReason.MAX_FAILED_ATTEMPTS)


RECORD_CONTACT_ATTEMPT = StepDeclaration(
    RecordContactAttemptInput,
    update="record_contact_attempt",
    audit="contact_attempt",
    label="tentative de contact",
    roles=STAFF,
    stages=frozenset({Stage.CONTACT}),
    effect=_attempt,
    route=Route(
        "contact-attempts",
        "Record one contact attempt (channel, result).",
        example={"channel": "telephone", "result": "pas_de_reponse"},
    ),
)


@dataclass
class RecordContactOutcomeInput:
    actor: Actor
    outcome: ContactOutcome
    solution_type: SolutionType | None = None
    new_commune: str | None = None
    reason: str | None = None


CONTACT_OUTCOME_CLOSES: dict[ContactOutcome, Outcome] = {
    ContactOutcome.DEJA_EN_SOLUTION: Outcome.DEJA_EN_SOLUTION,
    ContactOutcome.REFUS: Outcome.REFUS,
    ContactOutcome.DEMENAGE: Outcome.DEMENAGE,
    ContactOutcome.HORS_CHAMP: Outcome.HORS_CHAMP,
}


def _check_outcome(state: CaseState, step: RecordContactOutcomeInput) -> None:
    if step.outcome == ContactOutcome.DEJA_EN_SOLUTION:
        require(
            step.solution_type is not None,
            "Précisez le type de solution (déjà en solution).",
            "solution_type",
        )
    if step.outcome == ContactOutcome.DEMENAGE:
        require(bool(step.new_commune), "Précisez la nouvelle commune (a déménagé).", "new_commune")


def _outcome(t: Transition, step: RecordContactOutcomeInput) -> None:
    if step.outcome == ContactOutcome.ACCEPTE_ENTRETIEN:
        t.enter(Stage.BILAN, StageReason.ACCEPTS_INTERVIEW)
    else:
        t.close(CONTACT_OUTCOME_CLOSES[step.outcome], step.outcome.value)


RECORD_CONTACT_OUTCOME = StepDeclaration(
    RecordContactOutcomeInput,
    update="record_contact_outcome",
    audit="contact_outcome",
    label="résultat du contact",
    roles=STAFF,
    stages=frozenset({Stage.CONTACT}),
    check=_check_outcome,
    effect=_outcome,
    personal=("new_commune", "reason"),
    route=Route(
        "contact-outcome",
        "Record what the young person answered once reached.",
        fields={"new_commune": Text(max_length=100), "reason": NOTE},
        example={"outcome": "accepte_entretien"},
    ),
)

# ---------------------------------------------------------------- bilan-positionnement


@dataclass
class ScheduleInterviewInput:
    actor: Actor
    at: datetime
    place: str | None = None


def _schedule(t: Transition, step: ScheduleInterviewInput) -> None:
    t.state.interview_at = step.at
    if Rule.INTERVIEW_PLACE in t.state.rules:
        t.state.interview_place = step.place


SCHEDULE_INTERVIEW = StepDeclaration(
    ScheduleInterviewInput,
    update="schedule_interview",
    audit="interview_scheduled",
    label="planifier l'entretien",
    roles=STAFF,
    stages=frozenset({Stage.BILAN}),
    check=lambda state, step: require(
        step.at.tzinfo is not None, "La date de l'entretien doit indiquer un fuseau horaire.", "at"
    ),
    effect=_schedule,
    personal=("place",),
    route=Route(
        "interview",
        "Schedule (or reschedule) the bilan-positionnement interview.",
        fields={"place": Text(max_length=200)},
        example={"at": "2030-01-02T10:00:00+01:00", "place": "CIO Rennes"},
    ),
)


@dataclass
class RecordInterviewInput:
    actor: Actor
    held: bool


def _interview(t: Transition, step: RecordInterviewInput) -> None:
    if step.held:
        # The droit au retour request is honoured: its legal deadline must not come back later.
        t.state.interview_held, t.state.droit_retour_at = True, None
        t.enter(Stage.PROPOSITION, StageReason.INTERVIEW_HELD)
    else:
        t.enter(Stage.CONTACT, StageReason.NO_SHOW)


RECORD_INTERVIEW = StepDeclaration(
    RecordInterviewInput,
    update="record_interview",
    audit="interview_recorded",
    label="compte rendu d'entretien",
    roles=STAFF,
    stages=frozenset({Stage.BILAN}),
    precondition=lambda state: require(
        state.interview_at is not None, "Aucun entretien n'est planifié."
    ),
    effect=_interview,
    route=Route(
        "interview/result",
        "Record that the interview was held, or a no-show (back to contacting).",
        example={"held": True},
    ),
)

# ---------------------------------------------------------------- proposal and decision


@dataclass
class ProposeSolutionsInput:
    actor: Actor
    solutions: list[Solution] = field(default_factory=list)


def _propose(t: Transition, step: ProposeSolutionsInput) -> None:
    t.state.solutions = list(step.solutions)
    t.enter(Stage.DECISION, StageReason.SOLUTIONS_PROPOSED)


PROPOSE_SOLUTIONS = StepDeclaration(
    ProposeSolutionsInput,
    update="propose_solutions",
    audit="solutions_proposed",
    label="proposer des solutions",
    roles=STAFF,
    stages=frozenset({Stage.PROPOSITION}),
    check=lambda state, step: require(
        len(step.solutions) > 0, "Proposez au moins une solution.", "solutions"
    ),
    effect=_propose,
    personal=("solutions.structure",),
    route=Route(
        "proposals",
        "Propose one or more solutions; the coordinator decides next.",
        fields={
            "solutions": Items(min_length=1, max_length=10),
            "solutions.structure": SHORT_TEXT,
        },
        example={
            "solutions": [
                {"type": "apprentissage", "structure": "CFA BTP", "start_date": "2030-01-07"}
            ]
        },
    ),
)


@dataclass
class DecideInput:
    actor: Actor
    decision: Decision
    comment: str | None = None


def _decide(t: Transition, step: DecideInput) -> None:
    if step.decision == Decision.VALIDER:
        t.enter(Stage.ENTREE, StageReason.APPROVED)
    elif step.decision == Decision.MODIFIER:
        t.enter(Stage.PROPOSITION, StageReason.CHANGES_REQUESTED)
    else:
        t.state.in_meeting = True


DECIDE = StepDeclaration(
    DecideInput,
    update="decide",
    audit="decision",
    label="décision du coordinateur",
    roles=COORDINATOR,
    stages=frozenset({Stage.DECISION}),
    effect=_decide,
    personal=("comment",),
    route=Route(
        "decision",
        "Coordinator: approve, ask for changes, or put the proposal on the platform meeting.",
        fields={"comment": NOTE},
        example={"decision": "valider"},
    ),
)

# ---------------------------------------------------------------- entry and follow-up


@dataclass
class ConfirmEntryInput:
    actor: Actor
    entered: bool
    on: date | None = None


def _entry(t: Transition, step: ConfirmEntryInput) -> None:
    if step.entered:
        t.state.entered_on = step.on or t.now.date()
        t.state.checks_done = 0
        t.enter(Stage.SUIVI, StageReason.ENTERED)
    else:
        t.enter(Stage.PROPOSITION, StageReason.NOT_ENTERED)


CONFIRM_ENTRY = StepDeclaration(
    ConfirmEntryInput,
    update="confirm_entry",
    audit="entry_confirmed",
    label="confirmer l'entrée en solution",
    roles=STAFF,
    stages=frozenset({Stage.ENTREE}),
    effect=_entry,
    route=Route(
        "entry",
        "Confirm that the young person started the solution (or did not).",
        example={"entered": True},
    ),
)


@dataclass
class RecordFollowUpInput:
    actor: Actor
    status: FollowUpStatus


def _follow_up(t: Transition, step: RecordFollowUpInput) -> None:
    s = t.state
    if step.status == FollowUpStatus.RUPTURE:
        s.entered_on, s.solutions = None, []
        t.enter(Stage.CONTACT, StageReason.RUPTURE)
        return
    s.checks_done += 1
    if s.checks_done >= len(s.policy.follow_up_checks):
        t.close(Outcome.MAINTENU, StageReason.LAST_FOLLOW_UP_MAINTAINED)


RECORD_FOLLOW_UP = StepDeclaration(
    RecordFollowUpInput,
    update="record_follow_up",
    audit="follow_up",
    label="point de suivi",
    roles=STAFF,
    stages=frozenset({Stage.SUIVI}),
    effect=_follow_up,
    route=Route(
        "follow-ups",
        "Answer a follow-up check: still in the solution, or a drop-out (back to contacting).",
        example={"status": "maintenu"},
    ),
)

# ---------------------------------------------------------------- the registry

STEPS: tuple[StepDeclaration, ...] = (
    RECORD_CONTACT_ATTEMPT,
    RECORD_CONTACT_OUTCOME,
    SCHEDULE_INTERVIEW,
    RECORD_INTERVIEW,
    PROPOSE_SOLUTIONS,
    DECIDE,
    CONFIRM_ENTRY,
    RECORD_FOLLOW_UP,
    *LIFECYCLE_STEPS,
)
BY_INPUT: dict[type, StepDeclaration] = {d.input: d for d in STEPS}


def roles_for(step_type: type) -> frozenset[Role]:
    """Roles allowed to perform a step of this type."""
    return BY_INPUT[step_type].roles
