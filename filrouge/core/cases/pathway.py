"""The pathway rules: which step is allowed when, what it changes, and which deadlines run.

Pure functions over `CaseState`, used by the case workflow (deterministic) and unit-tested alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from enum import StrEnum
from typing import Any

from filrouge.core.cases.steps import (
    AssignReferentInput,
    CloseCaseInput,
    ConfirmEntryInput,
    DecideInput,
    ProposeSolutionsInput,
    RecordContactAttemptInput,
    RecordContactOutcomeInput,
    RecordFollowUpInput,
    RecordInterviewInput,
    RecordSummonsInput,
    ReidentifyInput,
    ReopenCaseInput,
    ScheduleInterviewInput,
    Step,
)
from filrouge.core.domain import (
    OPEN_STAGES,
    ContactOutcome,
    Outcome,
    Recipient,
    Solution,
    Source,
    Stage,
    StartCaseInput,
    TimerPolicy,
)
from filrouge.core.durations import age_on, birthday, parse_duration


class StepRejected(Exception):
    """A step that is not allowed now; the message is French and shown to the user (HTTP 409)."""


class DeadlineKind(StrEnum):
    """Every timer of the pathway (DOMAIN.md, 'Timers')."""

    ROUTING_ESCALATION = "routing_escalation"
    NO_CONTACT_REMINDER = "no_contact_reminder"
    NO_CONTACT_ESCALATION = "no_contact_escalation"
    STUCK_ESCALATION = "stuck_escalation"
    INTERVIEW_REMINDER = "interview_reminder"
    INTERVIEW_UNRECORDED_REMINDER = "interview_unrecorded_reminder"
    INTERVIEW_UNRECORDED_ESCALATION = "interview_unrecorded_escalation"
    DROIT_RETOUR_DEADLINE = "droit_retour_deadline"
    DECISION_ESCALATION = "decision_escalation"
    ENTRY_UNCONFIRMED_REMINDER = "entry_unconfirmed_reminder"
    FOLLOW_UP_DUE = "follow_up_due"
    OBLIGATION_REPORT = "obligation_report"
    OBLIGATION_ENDS = "obligation_ends"
    AGE_LIMIT = "age_limit"
    RETENTION_DUE = "retention_due"


@dataclass(frozen=True)
class Deadline:
    kind: DeadlineKind
    at: datetime
    recipients: tuple[Recipient, ...]

    @property
    def key(self) -> str:
        """Business key of this firing: one e-mail and one audit row per key, ever."""
        return f"{self.kind.value}@{self.at.isoformat()}"


@dataclass
class AuditEvent:
    """One thing that happened, as the workflow describes it to the audit log."""

    key: str
    kind: str
    data: dict[str, Any] = field(default_factory=dict)
    actor_id: str | None = None
    actor_role: str | None = None
    at: datetime | None = None


@dataclass
class Notice:
    """A one-off message a step asks the workflow to send (not a timer): e.g. the référent
    told that the young person they follow was identified again."""

    kind: str
    at: datetime
    source: str = ""

    @property
    def key(self) -> str:
        return f"{self.kind}@{self.at.isoformat()}"


REIDENTIFIED_NOTICE = "reidentified"


@dataclass
class CaseState:
    """The small state a case workflow carries (also across continue-as-new)."""

    case_id: str
    platform_id: str
    source: Source
    identified_at: datetime
    birth_date: date
    leaving_date: date | None
    policy: TimerPolicy
    stage: Stage = Stage.A_ROUTER
    stage_entered_at: datetime | None = None
    referent_id: str | None = None
    structure_id: str | None = None
    convocation_allowed: bool = False
    droit_retour_at: datetime | None = None
    attempts_in_stage: int = 0
    failed_attempts: int = 0
    last_counted_failure_at: datetime | None = None
    interview_at: datetime | None = None
    interview_held: bool = False
    solutions: list[Solution] = field(default_factory=list)
    in_meeting: bool = False
    entered_on: date | None = None
    checks_done: int = 0
    summons_on: date | None = None
    outcome: Outcome | None = None
    closed_at: datetime | None = None
    version: int = 0
    fired: list[str] = field(default_factory=list)
    recent_updates: dict[str, Any] = field(default_factory=dict)
    notices: list[Notice] = field(default_factory=list)

    @classmethod
    def new(cls, start: StartCaseInput) -> CaseState:
        """State of a freshly identified case."""
        state = cls(
            case_id=start.case_id,
            platform_id=start.platform_id,
            source=start.source,
            identified_at=start.identified_at,
            birth_date=start.birth_date,
            leaving_date=start.leaving_date,
            policy=start.policy,
            stage_entered_at=start.identified_at,
            convocation_allowed=start.convocation_allowed,
        )
        if start.source == Source.DROIT_AU_RETOUR:
            state.droit_retour_at = start.identified_at
        return state

    @property
    def is_open(self) -> bool:
        return self.stage in OPEN_STAGES


def _as_datetime(day: date) -> datetime:
    return datetime.combine(day, time(8, 0), tzinfo=UTC)


def _after(anchor: datetime | None, iso: str) -> datetime | None:
    return parse_duration(iso).after(anchor) if anchor else None


# ---------------------------------------------------------------- deadlines


def deadlines(state: CaseState) -> list[Deadline]:
    """All deadlines that apply to the case in its current state, fired or not."""
    p, found = state.policy, []

    def add(kind: DeadlineKind, at: datetime | None, *to: Recipient) -> None:
        if at is not None:
            found.append(Deadline(kind, at, to))

    entered = state.stage_entered_at
    if state.stage not in (Stage.CLOTURE, Stage.INJOIGNABLE):
        stuck = _after(_stuck_since(state), p.stuck_escalation)
        add(DeadlineKind.STUCK_ESCALATION, stuck, Recipient.PILOTE)
    if state.stage == Stage.A_ROUTER:
        add(
            DeadlineKind.ROUTING_ESCALATION,
            _after(entered, p.routing_escalation),
            Recipient.COORDINATEUR,
        )
    if state.stage == Stage.CONTACT and state.attempts_in_stage == 0:
        remind = _after(entered, p.reminder_no_contact)
        add(DeadlineKind.NO_CONTACT_REMINDER, remind, Recipient.REFERENT)
        escalate = _after(entered, p.escalation_no_contact)
        add(DeadlineKind.NO_CONTACT_ESCALATION, escalate, Recipient.COORDINATEUR)
    if state.stage == Stage.BILAN and state.interview_at is not None:
        _interview_deadlines(state, add)
    if state.droit_retour_at and not state.interview_held and state.is_open:
        due = _after(state.droit_retour_at, p.droit_retour_deadline)
        add(DeadlineKind.DROIT_RETOUR_DEADLINE, due, Recipient.COORDINATEUR)
    if state.stage == Stage.DECISION and not state.in_meeting:
        due = _after(entered, p.decision_escalation)
        add(DeadlineKind.DECISION_ESCALATION, due, Recipient.COORDINATEUR)
    if state.stage == Stage.ENTREE and state.solutions:
        due = _after(_solution_start(state), p.entry_unconfirmed_reminder)
        add(DeadlineKind.ENTRY_UNCONFIRMED_REMINDER, due, Recipient.REFERENT)
    if state.stage == Stage.SUIVI:
        add(DeadlineKind.FOLLOW_UP_DUE, _follow_up_due(state), Recipient.REFERENT)
    if state.is_open:
        _age_deadlines(state, add)
    if state.stage == Stage.CLOTURE:
        add(DeadlineKind.RETENTION_DUE, _after(state.closed_at, p.retention))
    return found


def _solution_start(state: CaseState) -> datetime | None:
    starts = [s.start_date for s in state.solutions]
    return _as_datetime(min(starts)) if starts else None


def _follow_up_due(state: CaseState) -> datetime | None:
    checks = state.policy.follow_up_checks
    if not state.entered_on or state.checks_done >= len(checks):
        return None
    return _after(_as_datetime(state.entered_on), checks[state.checks_done])


def _stuck_since(state: CaseState) -> datetime | None:
    """Waiting for a future start date or the next follow-up check is not being stuck."""
    entered = state.stage_entered_at
    if state.stage == Stage.ENTREE:
        start = _solution_start(state)
        return max(entered, start) if entered and start else entered
    if state.stage == Stage.SUIVI:
        return _follow_up_due(state) or entered
    return entered


def _interview_deadlines(state: CaseState, add: Any) -> None:
    p, at = state.policy, state.interview_at
    assert at is not None
    to = (
        (Recipient.REFERENT, Recipient.JEUNE)
        if state.convocation_allowed
        else (Recipient.REFERENT,)
    )
    add(
        DeadlineKind.INTERVIEW_REMINDER, parse_duration(p.interview_reminder_before).before(at), *to
    )
    remind = _after(at, p.interview_unrecorded_reminder)
    add(DeadlineKind.INTERVIEW_UNRECORDED_REMINDER, remind, Recipient.REFERENT)
    escalate = _after(at, p.interview_unrecorded_escalation)
    add(DeadlineKind.INTERVIEW_UNRECORDED_ESCALATION, escalate, Recipient.COORDINATEUR)


def _age_deadlines(state: CaseState, add: Any) -> None:
    eighteen = _as_datetime(birthday(state.birth_date, 18))
    if state.summons_on and state.stage not in (Stage.SUIVI,):
        report = _after(_as_datetime(state.summons_on), state.policy.obligation_report)
        if report is not None and report < eighteen:
            add(DeadlineKind.OBLIGATION_REPORT, report, Recipient.COORDINATEUR)
    if eighteen > state.identified_at:
        add(DeadlineKind.OBLIGATION_ENDS, eighteen)
    twenty_six = _as_datetime(birthday(state.birth_date, 26))
    add(DeadlineKind.AGE_LIMIT, twenty_six, Recipient.REFERENT, Recipient.COORDINATEUR)


# Deadlines that only inform: once fired, nothing is left for anyone to do.
INFORMATIVE = frozenset(
    {DeadlineKind.OBLIGATION_ENDS, DeadlineKind.AGE_LIMIT, DeadlineKind.RETENTION_DUE}
)


def overdue_since(state: CaseState) -> datetime | None:
    """When the oldest fired deadline that still awaits an action fell due (None: up to date)."""
    fired = set(state.fired)
    late = [d.at for d in deadlines(state) if d.key in fired and d.kind not in INFORMATIVE]
    return min(late, default=None)


# Deadlines whose date reveals the young person's birth date.
BIRTHDAY_DEADLINES = frozenset({DeadlineKind.OBLIGATION_ENDS, DeadlineKind.AGE_LIMIT})


def next_deadline(
    state: CaseState, exclude: frozenset[DeadlineKind] = frozenset()
) -> Deadline | None:
    """The earliest deadline not yet fired (optionally ignoring some kinds)."""
    pending = [d for d in deadlines(state) if d.key not in state.fired and d.kind not in exclude]
    return min(pending, key=lambda d: d.at, default=None)


def mark_fired(state: CaseState, deadline: Deadline) -> None:
    """Remember a firing; forget firings that no longer apply so the state stays small."""
    live = {d.key for d in deadlines(state)}
    state.fired = [k for k in state.fired if k in live] + [deadline.key]


# ---------------------------------------------------------------- steps


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise StepRejected(message)


def _require_stage(state: CaseState, *stages: Stage, action: str) -> None:
    names = ", ".join(s.value for s in stages)
    _require(
        state.stage in stages,
        f"Action « {action} » impossible : le dossier est à l'étape « {state.stage.value} » "
        f"(étapes possibles : {names}).",
    )


def check_step(state: CaseState, step: Step) -> None:
    """Raise StepRejected if `step` is not allowed in the current state (workflow validator)."""
    handler = _CHECKS.get(type(step))
    _require(handler is not None, "Action inconnue.")
    assert handler is not None
    handler(state, step)


def _check_assign(state: CaseState, step: AssignReferentInput) -> None:
    _require(state.is_open, "Le dossier est clôturé : rouvrez-le avant de l'attribuer.")
    _require(bool(step.referent_id), "Le référent est obligatoire.")


def _check_attempt(state: CaseState, step: RecordContactAttemptInput) -> None:
    _require_stage(state, Stage.CONTACT, action="tentative de contact")


def _check_outcome(state: CaseState, step: RecordContactOutcomeInput) -> None:
    _require_stage(state, Stage.CONTACT, action="résultat du contact")
    if step.outcome == ContactOutcome.DEJA_EN_SOLUTION:
        _require(step.solution_type is not None, "Précisez le type de solution (solution_type).")
    if step.outcome == ContactOutcome.DEMENAGE:
        _require(bool(step.new_commune), "Précisez la nouvelle commune (new_commune).")


def _check_schedule(state: CaseState, step: ScheduleInterviewInput) -> None:
    _require_stage(state, Stage.BILAN, action="planifier l'entretien")
    _require(step.at.tzinfo is not None, "La date de l'entretien doit indiquer un fuseau horaire.")


def _check_interview(state: CaseState, step: RecordInterviewInput) -> None:
    _require_stage(state, Stage.BILAN, action="compte rendu d'entretien")
    _require(state.interview_at is not None, "Aucun entretien n'est planifié.")


def _check_propose(state: CaseState, step: ProposeSolutionsInput) -> None:
    _require_stage(state, Stage.PROPOSITION, action="proposer des solutions")
    _require(len(step.solutions) > 0, "Proposez au moins une solution.")


def _check_decide(state: CaseState, step: DecideInput) -> None:
    _require_stage(state, Stage.DECISION, action="décision du coordinateur")


def _check_entry(state: CaseState, step: ConfirmEntryInput) -> None:
    _require_stage(state, Stage.ENTREE, action="confirmer l'entrée en solution")


def _check_follow_up(state: CaseState, step: RecordFollowUpInput) -> None:
    _require_stage(state, Stage.SUIVI, action="point de suivi")


def _check_close(state: CaseState, step: CloseCaseInput) -> None:
    _require(state.is_open, "Le dossier est déjà clôturé.")
    if step.outcome == Outcome.AUTRE:
        _require(bool(step.reason), "Précisez le motif de clôture (reason) pour « autre ».")


def _check_reopen(state: CaseState, step: ReopenCaseInput) -> None:
    _require_stage(state, Stage.CLOTURE, Stage.INJOIGNABLE, action="rouvrir le dossier")
    _require(bool(step.reason), "Précisez le motif de réouverture (reason).")


def _check_summons(state: CaseState, step: RecordSummonsInput) -> None:
    _require(state.is_open, "Le dossier est clôturé.")
    _require(
        age_on(state.birth_date, step.on) < 18,
        "La convocation au titre de l'obligation de formation ne concerne que les mineurs.",
    )


def _check_reidentify(state: CaseState, step: ReidentifyInput) -> None:
    return None


_CHECKS: dict[type, Any] = {
    AssignReferentInput: _check_assign,
    RecordContactAttemptInput: _check_attempt,
    RecordContactOutcomeInput: _check_outcome,
    ScheduleInterviewInput: _check_schedule,
    RecordInterviewInput: _check_interview,
    ProposeSolutionsInput: _check_propose,
    DecideInput: _check_decide,
    ConfirmEntryInput: _check_entry,
    RecordFollowUpInput: _check_follow_up,
    CloseCaseInput: _check_close,
    ReopenCaseInput: _check_reopen,
    RecordSummonsInput: _check_summons,
    ReidentifyInput: _check_reidentify,
}
