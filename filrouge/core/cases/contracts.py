"""Activity contracts: inputs, results and typed stubs the workflows call.

The worker registers the real implementations (in `activities/`) under the same names, so the
workflow modules never import SQLAlchemy, aiosmtplib or Jinja2.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from temporalio import activity

from filrouge.core.cases.pathway import (
    AuditEvent,
    CaseState,
    escalated_since,
    next_deadline,
    overdue_since,
)
from filrouge.core.domain import DeliveryStatus, Outcome, Recipient, Stage, StartCaseInput


def case_workflow_id(case_id: str) -> str:
    """The Temporal workflow id of a case (opaque: the case id, never a name)."""
    return f"case-{case_id}"


@dataclass
class CaseSnapshot:
    """The read model row of a case, as of `version`."""

    case_id: str
    platform_id: str
    stage: Stage
    version: int
    referent_id: str | None = None
    structure_id: str | None = None
    stage_entered_at: datetime | None = None
    next_deadline_kind: str | None = None
    next_deadline_at: datetime | None = None
    overdue_since: datetime | None = None
    # An escalation to the coordinators still awaiting an action (the dashboard counts them).
    escalated_since: datetime | None = None
    interview_at: datetime | None = None
    failed_attempts: int = 0
    outcome: Outcome | None = None
    closed_at: datetime | None = None


# Defined here, outside the workflow module, on purpose: the workflow sandbox imports that
# module again for every workflow run, so a type defined there is a new class each time and
# the pydantic converter would build its validator again for every case started.
@dataclass
class CaseWorkflowInput:
    """A new case (`start`) or a continued one (`state`)."""

    start: StartCaseInput | None = None
    state: CaseState | None = None
    continue_as_new_after_events: int = 500
    search_attributes: bool = True
    # Notifications not delivered yet (mail outage), carried over a continue-as-new.
    undelivered: list[SendNotificationInput] = field(default_factory=list)


def snapshot_of(state: CaseState) -> CaseSnapshot:
    """The read model of a case state (pure: the workflow and bulk intake share it)."""
    due = next_deadline(state)
    return CaseSnapshot(
        case_id=state.case_id,
        platform_id=state.platform_id,
        stage=state.stage,
        version=state.version,
        referent_id=state.referent_id,
        structure_id=state.structure_id,
        stage_entered_at=state.stage_entered_at,
        next_deadline_kind=due.kind.value if due else None,
        next_deadline_at=due.at if due else None,
        overdue_since=overdue_since(state),
        escalated_since=escalated_since(state),
        interview_at=state.interview_at,
        failed_attempts=state.failed_attempts,
        outcome=state.outcome,
        closed_at=state.closed_at,
    )


@dataclass
class RecordCaseEventsInput:
    case_id: str
    events: list[AuditEvent]
    snapshot: CaseSnapshot


@dataclass
class ChooseReferentInput:
    case_id: str
    platform_id: str
    age: int
    left_within_a_year: bool


@dataclass
class ChooseReferentResult:
    referent_id: str | None
    structure_id: str | None


@dataclass
class SendNotificationInput:
    case_id: str
    kind: str
    recipient: Recipient
    deadline_key: str
    due_at: datetime
    source: str = ""  # who identified the young person again (re-identification notices)
    since: datetime | None = None  # what the deadline counts from (a droit au retour request)
    closes_at: datetime | None = None  # when an inactive case will close (its warning)
    place: str | None = None  # where the interview takes place (its reminder, the convocation)


@dataclass
class SendNotificationResult:
    status: DeliveryStatus
    detail: str = ""


@dataclass
class RecordUndeliveredInput:
    """A notification whose delivery gave up for now (SMTP down, credentials refused)."""

    notification: SendNotificationInput
    reason: str


@activity.defn(name="record_case_events")
async def record_case_events(input: RecordCaseEventsInput) -> None:
    """Append audit events (hash-chained, idempotent by key) and upsert the read model."""
    raise NotImplementedError("registered by the worker")


@activity.defn(name="choose_referent")
async def choose_referent(input: ChooseReferentInput) -> ChooseReferentResult:
    """Pick the structure by rule and the least-loaded référent of the platform."""
    raise NotImplementedError("registered by the worker")


@activity.defn(name="send_notification")
async def send_notification(input: SendNotificationInput) -> SendNotificationResult:
    """Render and send one reminder/escalation e-mail, exactly once per business key."""
    raise NotImplementedError("registered by the worker")


@activity.defn(name="record_undelivered")
async def record_undelivered(input: RecordUndeliveredInput) -> None:
    """Mark the notification undelivered in the outbox and the case history (once)."""
    raise NotImplementedError("registered by the worker")
