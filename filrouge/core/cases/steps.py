"""Inputs of the human steps, one dataclass per step (sent as Temporal Workflow Updates)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

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
    Source,
)


@dataclass
class AssignReferentInput:
    actor: Actor
    referent_id: str
    structure_id: str | None = None


@dataclass
class RecordContactAttemptInput:
    actor: Actor
    channel: Channel
    result: AttemptResult


@dataclass
class RecordContactOutcomeInput:
    actor: Actor
    outcome: ContactOutcome
    solution_type: SolutionType | None = None
    new_commune: str | None = None
    reason: str | None = None


@dataclass
class ScheduleInterviewInput:
    actor: Actor
    at: datetime
    place: str | None = None


@dataclass
class RecordInterviewInput:
    actor: Actor
    held: bool


@dataclass
class ProposeSolutionsInput:
    actor: Actor
    solutions: list[Solution] = field(default_factory=list)


@dataclass
class DecideInput:
    actor: Actor
    decision: Decision
    comment: str | None = None


@dataclass
class ConfirmEntryInput:
    actor: Actor
    entered: bool
    on: date | None = None


@dataclass
class RecordFollowUpInput:
    actor: Actor
    status: FollowUpStatus


@dataclass
class CloseCaseInput:
    actor: Actor
    outcome: Outcome
    reason: str | None = None


@dataclass
class ReopenCaseInput:
    actor: Actor
    reason: str


@dataclass
class RecordSummonsInput:
    """A minor under the obligation de formation was summoned with their legal guardian."""

    actor: Actor
    on: date


@dataclass
class ReidentifyInput:
    """The same young person was identified again (a later list, another partner)."""

    actor: Actor
    source: Source
    identified_at: datetime


Step = (
    AssignReferentInput
    | RecordContactAttemptInput
    | RecordContactOutcomeInput
    | ScheduleInterviewInput
    | RecordInterviewInput
    | ProposeSolutionsInput
    | DecideInput
    | ConfirmEntryInput
    | RecordFollowUpInput
    | CloseCaseInput
    | ReopenCaseInput
    | RecordSummonsInput
    | ReidentifyInput
)

# Which roles may perform each step (enforced by the API; fine-grained scoping comes later).
STEP_ROLES: dict[type, frozenset[Role]] = {
    AssignReferentInput: frozenset({Role.COORDINATEUR}),
    DecideInput: frozenset({Role.COORDINATEUR}),
    ReidentifyInput: frozenset({Role.COORDINATEUR, Role.PARTENAIRE}),
}
DEFAULT_STEP_ROLES = frozenset({Role.REFERENT, Role.COORDINATEUR})


def roles_for(step_type: type) -> frozenset[Role]:
    """Roles allowed to perform a step of this type."""
    return STEP_ROLES.get(step_type, DEFAULT_STEP_ROLES)
