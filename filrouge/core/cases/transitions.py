"""What each accepted step changes in a case, and the audit events it produces (pure)."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from enum import Enum
from typing import Any

from filrouge.core.cases.pathway import (
    REIDENTIFIED_NOTICE,
    AuditEvent,
    CaseState,
    Notice,
    check_step,
)
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
    Actor,
    AttemptResult,
    ContactOutcome,
    Decision,
    FollowUpStatus,
    Outcome,
    Source,
    Stage,
    StartCaseInput,
)
from filrouge.core.durations import parse_duration

STEP_NAMES: dict[type, str] = {
    AssignReferentInput: "referent_assigned",
    RecordContactAttemptInput: "contact_attempt",
    RecordContactOutcomeInput: "contact_outcome",
    ScheduleInterviewInput: "interview_scheduled",
    RecordInterviewInput: "interview_recorded",
    ProposeSolutionsInput: "solutions_proposed",
    DecideInput: "decision",
    ConfirmEntryInput: "entry_confirmed",
    RecordFollowUpInput: "follow_up",
    CloseCaseInput: "case_closed",
    ReopenCaseInput: "case_reopened",
    RecordSummonsInput: "obligation_summons",
    ReidentifyInput: "reidentified",
}

CONTACT_OUTCOME_CLOSES: dict[ContactOutcome, Outcome] = {
    ContactOutcome.DEJA_EN_SOLUTION: Outcome.DEJA_EN_SOLUTION,
    ContactOutcome.REFUS: Outcome.REFUS,
    ContactOutcome.DEMENAGE: Outcome.DEMENAGE,
    ContactOutcome.HORS_CHAMP: Outcome.HORS_CHAMP,
}


def plain(value: Any) -> Any:
    """JSON-friendly copy of a step's fields (enums to values, dates to ISO strings)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


class Transition:
    """Applies one step to a state, collecting the audit events it causes."""

    def __init__(self, state: CaseState, now: datetime, key: str) -> None:
        self.state, self.now, self.key = state, now, key
        self.events: list[AuditEvent] = []

    def record(self, kind: str, data: dict[str, Any], actor: Actor | None = None) -> None:
        self.events.append(
            AuditEvent(
                key=f"{self.key}:{len(self.events)}",
                kind=kind,
                data=data,
                actor_id=actor.user_id if actor else None,
                actor_role=actor.role.value if actor else None,
                at=self.now,
            )
        )

    def enter(self, stage: Stage, reason: str) -> None:
        """Move to `stage`, resetting what belongs to the previous stage."""
        s = self.state
        previous = s.stage
        s.stage, s.stage_entered_at = stage, self.now
        s.attempts_in_stage, s.in_meeting = 0, False
        if stage == Stage.CONTACT:
            s.failed_attempts, s.last_counted_failure_at = 0, None
        if stage == Stage.BILAN:
            s.interview_at, s.interview_held = None, False
        self.record("stage_changed", {"from": previous.value, "to": stage.value, "reason": reason})

    def close(self, outcome: Outcome, reason: str) -> None:
        self.state.outcome, self.state.closed_at = outcome, self.now
        self.enter(Stage.CLOTURE, reason)


def identify(
    state: CaseState,
    start: StartCaseInput,
    now: datetime,
    referent_id: str | None,
    structure_id: str | None,
) -> list[AuditEvent]:
    """Record a new case's identification and its automatic assignment (or the need to route)."""
    t = Transition(state, now, "identify")
    t.record(
        "case_identified",
        {"source": start.source.value, "droit_au_retour": state.droit_retour_at is not None},
        start.actor,
    )
    if referent_id:
        state.referent_id, state.structure_id = referent_id, structure_id
        t.record("referent_assigned", {"referent_id": referent_id, "automatic": True})
        t.enter(Stage.CONTACT, "automatic_assignment")
    else:
        t.record("routing_needed", {"reason": "no_referent_available"})
    state.version += 1
    return t.events


def apply_step(state: CaseState, step: Step, now: datetime, key: str) -> list[AuditEvent]:
    """Apply an allowed step to `state` (mutated) and return the audit events it causes."""
    check_step(state, step)
    t = Transition(state, now, key)
    data = {k: v for k, v in plain(step).items() if k != "actor"}
    t.record(STEP_NAMES[type(step)], data, step.actor)
    _APPLY[type(step)](t, step)
    state.version += 1
    return t.events


def _assign(t: Transition, step: AssignReferentInput) -> None:
    t.state.referent_id, t.state.structure_id = step.referent_id, step.structure_id
    if t.state.stage in (Stage.A_ROUTER, Stage.INJOIGNABLE):
        t.enter(Stage.CONTACT, "referent_assigned")


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
        t.enter(Stage.INJOIGNABLE, "max_failed_attempts")


def _outcome(t: Transition, step: RecordContactOutcomeInput) -> None:
    if step.outcome == ContactOutcome.ACCEPTE_ENTRETIEN:
        t.enter(Stage.BILAN, "accepts_interview")
    else:
        t.close(CONTACT_OUTCOME_CLOSES[step.outcome], step.outcome.value)


def _schedule(t: Transition, step: ScheduleInterviewInput) -> None:
    t.state.interview_at = step.at


def _interview(t: Transition, step: RecordInterviewInput) -> None:
    if step.held:
        # The droit au retour request is honoured: its legal deadline must not come back later.
        t.state.interview_held, t.state.droit_retour_at = True, None
        t.enter(Stage.PROPOSITION, "interview_held")
    else:
        t.enter(Stage.CONTACT, "no_show")


def _propose(t: Transition, step: ProposeSolutionsInput) -> None:
    t.state.solutions = list(step.solutions)
    t.enter(Stage.DECISION, "solutions_proposed")


def _decide(t: Transition, step: DecideInput) -> None:
    if step.decision == Decision.VALIDER:
        t.enter(Stage.ENTREE, "approved")
    elif step.decision == Decision.MODIFIER:
        t.enter(Stage.PROPOSITION, "changes_requested")
    else:
        t.state.in_meeting = True


def _entry(t: Transition, step: ConfirmEntryInput) -> None:
    if step.entered:
        t.state.entered_on = step.on or t.now.date()
        t.state.checks_done = 0
        t.enter(Stage.SUIVI, "entered")
    else:
        t.enter(Stage.PROPOSITION, "not_entered")


def _follow_up(t: Transition, step: RecordFollowUpInput) -> None:
    s = t.state
    if step.status == FollowUpStatus.RUPTURE:
        s.entered_on, s.solutions = None, []
        t.enter(Stage.CONTACT, "rupture")
        return
    s.checks_done += 1
    if s.checks_done >= len(s.policy.follow_up_checks):
        t.close(Outcome.MAINTENU, "last_follow_up_maintained")


def _close(t: Transition, step: CloseCaseInput) -> None:
    t.close(step.outcome, step.reason or step.outcome.value)


def _reopen(t: Transition, step: ReopenCaseInput) -> None:
    _reopen_at_contact(t, "reopened")


def _reopen_at_contact(t: Transition, reason: str) -> None:
    s = t.state
    s.outcome, s.closed_at = None, None
    t.enter(Stage.CONTACT if s.referent_id else Stage.A_ROUTER, reason)


def _summons(t: Transition, step: RecordSummonsInput) -> None:
    t.state.summons_on = step.on


def _reidentify(t: Transition, step: ReidentifyInput) -> None:
    s = t.state
    if step.source == Source.DROIT_AU_RETOUR and not s.droit_retour_at:
        s.droit_retour_at = step.identified_at
    if s.stage in (Stage.INJOIGNABLE, Stage.CLOTURE):
        _reopen_at_contact(t, "reidentified")
    if s.referent_id:
        s.notices.append(Notice(REIDENTIFIED_NOTICE, step.identified_at, step.source.value))


_APPLY: dict[type, Any] = {
    AssignReferentInput: _assign,
    RecordContactAttemptInput: _attempt,
    RecordContactOutcomeInput: _outcome,
    ScheduleInterviewInput: _schedule,
    RecordInterviewInput: _interview,
    ProposeSolutionsInput: _propose,
    DecideInput: _decide,
    ConfirmEntryInput: _entry,
    RecordFollowUpInput: _follow_up,
    CloseCaseInput: _close,
    ReopenCaseInput: _reopen,
    RecordSummonsInput: _summons,
    ReidentifyInput: _reidentify,
}
