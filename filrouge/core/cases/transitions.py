"""How a step or an identification changes a case, and the audit events it produces (pure)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import datetime
from enum import Enum, StrEnum
from typing import Any

from filrouge.core.cases.pathway import AuditEvent, CaseState, Deadline, DeadlineKind, fire_deadline
from filrouge.core.domain import Actor, Outcome, Stage, StartCaseInput


class StageReason(StrEnum):
    """Why the pathway moved a case (`stage_changed.reason`): the code's own words.

    A closing records the outcome instead (an `Outcome` or `ContactOutcome` value), or, for
    « autre », the motive typed by the user: free text, sealed and erased (`core.audit`).
    """

    AUTOMATIC_ASSIGNMENT = "automatic_assignment"
    REFERENT_ASSIGNED = "referent_assigned"
    MAX_FAILED_ATTEMPTS = "max_failed_attempts"
    ACCEPTS_INTERVIEW = "accepts_interview"
    INTERVIEW_HELD = "interview_held"
    NO_SHOW = "no_show"
    SOLUTIONS_PROPOSED = "solutions_proposed"
    APPROVED = "approved"
    CHANGES_REQUESTED = "changes_requested"
    ENTERED = "entered"
    NOT_ENTERED = "not_entered"
    RUPTURE = "rupture"
    LAST_FOLLOW_UP_MAINTAINED = "last_follow_up_maintained"
    REOPENED = "reopened"
    REIDENTIFIED = "reidentified"
    INACTIVITY = "inactivity"


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
            s.interview_at, s.interview_place, s.interview_held = None, None, False
        data = {"from": previous.value, "to": stage.value, "reason": str(reason)}
        self.record("stage_changed", data)

    def close(self, outcome: Outcome, reason: str) -> None:
        """Close the case with `outcome`; `reason` is a code, or the motive typed by a user."""
        self.state.outcome, self.state.closed_at = outcome, self.now
        self.enter(Stage.CLOTURE, reason)

    def reopen(self, reason: StageReason) -> None:
        """Reopen a closed or unreachable case at contacting (or routing without a référent)."""
        s = self.state
        s.outcome, s.closed_at = None, None
        self.enter(Stage.CONTACT if s.referent_id else Stage.A_ROUTER, reason)


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
        t.enter(Stage.CONTACT, StageReason.AUTOMATIC_ASSIGNMENT)
    else:
        t.record("routing_needed", {"reason": "no_referent_available"})
    state.version += 1
    return t.events


def _close_inactive(t: Transition) -> None:
    unreachable = t.state.stage == Stage.INJOIGNABLE
    t.close(Outcome.INJOIGNABLE if unreachable else Outcome.SANS_SUITE, StageReason.INACTIVITY)


# Deadlines whose firing moves the case along the pathway (recorded like a step's effect);
# the smaller timer effects that only change the state are `pathway.TIMER_EFFECTS`.
TIMER_TRANSITIONS: dict[DeadlineKind, Callable[[Transition], None]] = {
    DeadlineKind.INACTIVITY_CLOSURE: _close_inactive,
}


def fire(state: CaseState, due: Deadline, now: datetime) -> list[AuditEvent]:
    """Apply a deadline that fell due; its audit events (none when it no longer applies)."""
    event = fire_deadline(state, due, now)
    if event is None:
        return []
    transition = TIMER_TRANSITIONS.get(due.kind)
    if transition is None:
        return [event]
    t = Transition(state, now, event.key)
    transition(t)
    return [event, *t.events]
