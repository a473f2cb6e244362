"""The Temporal Schedule of the daily retention purge, created or updated at worker start."""

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

from filrouge.core.retention import PURGE_SCHEDULE_ID, PurgeInput
from workflows.retention import PurgeWorkflow

PURGE_HOUR_UTC = 2


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


async def ensure_purge_schedule(client: Client, task_queue: str) -> None:
    """Create the schedule, or bring an existing one up to date (idempotent)."""
    schedule = purge_schedule(task_queue)
    try:
        await client.create_schedule(PURGE_SCHEDULE_ID, schedule)
    except ScheduleAlreadyRunningError:

        def _update(current: ScheduleUpdateInput) -> ScheduleUpdate:
            schedule.state = current.description.schedule.state  # an operator's pause stays
            return ScheduleUpdate(schedule=schedule)

        await client.get_schedule_handle(PURGE_SCHEDULE_ID).update(_update)
