"""The Temporal Schedules (daily retention purge, regional pilots' digest), created or updated
at worker start."""

from __future__ import annotations

from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleCalendarSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleRange,
    ScheduleSpec,
    ScheduleUpdate,
    ScheduleUpdateInput,
)

from filrouge.core.digest import PILOT_DIGEST_SCHEDULE_ID, PilotDigestInput
from filrouge.core.retention import PURGE_SCHEDULE_ID, PurgeInput
from workflows.digest import PilotDigestWorkflow
from workflows.retention import PurgeWorkflow

PURGE_HOUR_UTC = 2
# 06:00 UTC: early morning in metropolitan France, before the pilots' working day.
PILOT_DIGEST_HOUR_UTC = 6


def purge_schedule(task_queue: str) -> Schedule:
    """Every day at 02:00 UTC; a purge still running when the next one is due is not doubled."""
    return Schedule(
        action=ScheduleActionStartWorkflow(
            PurgeWorkflow.run, PurgeInput(), id=f"{PURGE_SCHEDULE_ID}-run", task_queue=task_queue
        ),
        spec=ScheduleSpec(
            calendars=[ScheduleCalendarSpec(hour=[ScheduleRange(PURGE_HOUR_UTC)])],
        ),
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP),
    )


def pilot_digest_schedule(task_queue: str) -> Schedule:
    """Every day at 06:00 UTC, one digest per Région whose cases became stuck since the last."""
    return Schedule(
        action=ScheduleActionStartWorkflow(
            PilotDigestWorkflow.run,
            PilotDigestInput(),
            id=f"{PILOT_DIGEST_SCHEDULE_ID}-run",
            task_queue=task_queue,
        ),
        spec=ScheduleSpec(
            calendars=[ScheduleCalendarSpec(hour=[ScheduleRange(PILOT_DIGEST_HOUR_UTC)])],
        ),
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP),
    )


async def ensure_purge_schedule(client: Client, task_queue: str) -> None:
    """Create the purge's schedule, or bring an existing one up to date (idempotent)."""
    await _ensure(client, PURGE_SCHEDULE_ID, purge_schedule(task_queue))


async def ensure_schedules(client: Client, task_queue: str) -> None:
    """Every schedule of the system: the purge and the pilots' digest (idempotent)."""
    await ensure_purge_schedule(client, task_queue)
    await _ensure(client, PILOT_DIGEST_SCHEDULE_ID, pilot_digest_schedule(task_queue))


async def _ensure(client: Client, schedule_id: str, schedule: Schedule) -> None:
    try:
        await client.create_schedule(schedule_id, schedule)
    except ScheduleAlreadyRunningError:

        def _update(current: ScheduleUpdateInput) -> ScheduleUpdate:
            schedule.state = current.description.schedule.state  # an operator's pause stays
            return ScheduleUpdate(schedule=schedule)

        await client.get_schedule_handle(schedule_id).update(_update)
