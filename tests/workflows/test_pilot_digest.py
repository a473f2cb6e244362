"""A stuck case reaches its Région's pilots only through their daily digest (issue 8, item 16).

Same scaffolding as `test_case_workflow.py`: real activities, database and SMTP sink on the
time-skipping server; the digest workflow runs as its schedule would start it.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import ScheduleActionStartWorkflow
from temporalio.testing import WorkflowEnvironment

from filrouge.core.digest import PILOT_DIGEST_SCHEDULE_ID, PilotDigestInput
from filrouge.core.retention import PURGE_SCHEDULE_ID
from filrouge.store.engine import transaction
from filrouge.store.models import Platform, User
from startup.schedules import ensure_schedules
from tests.support.waiting import eventually
from tests.workflows.test_case_workflow import (  # noqa: F401 (fixtures)
    DAY,
    MINUTE,
    Mail,
    NewCase,
    fired,
    mails,
    new_case,
    no_new_mail,
    task_queue,
    worker,
)
from workflows.digest import PilotDigestWorkflow


async def a_region_of_its_own(sessions: async_sessionmaker[AsyncSession], platform: str) -> str:
    """Move the test's platform and its pilot to a Région no other test uses."""
    region = f"Région d'essai {uuid.uuid4().hex[:8]}"
    async with transaction(sessions) as session:
        row, pilot = (
            await session.get(Platform, platform),
            await session.get(User, f"{platform}-pilot"),
        )
        assert row is not None and pilot is not None
        row.region = pilot.region = region
    return region


async def test_a_stuck_case_is_counted_in_its_regions_digest_not_mailed_alone(
    new_case: NewCase,  # noqa: F811
    time_skipping_env: WorkflowEnvironment,
    sessions: async_sessionmaker[AsyncSession],
    task_queue: str,  # noqa: F811
) -> None:
    case = await new_case()
    region = await a_region_of_its_own(sessions, case.staff.platform_id)
    t0 = await case.stage_entered_at()
    await case.attempt()  # reached: no reminder, no escalation; stuck in contact after 30 days
    for day in range(5, 31, 5):  # in steps: one long sleep may outlast a server call's timeout
        await case.jump_to(t0 + day * DAY + MINUTE)
    await eventually(lambda: fired(case, "stuck_escalation"))
    await no_new_mail(case.sink, 0)  # the case itself mails nobody

    with time_skipping_env.auto_time_skipping_disabled():  # the case's later timers wait
        result = await time_skipping_env.client.execute_workflow(
            PilotDigestWorkflow.run,
            PilotDigestInput(),
            id=f"pilot-digest-{uuid.uuid4()}",
            task_queue=task_queue,
        )
    ours = [d for d in result.sent if f"|{region}|" in d]
    assert len(ours) == 1 and not [d for d in result.not_sent if f"|{region}|" in d]

    async def to_our_pilot() -> list[Mail]:
        return [m for m in mails(case.sink) if case.staff.pilot in m.to]

    [digest] = await eventually(to_our_pilot)
    assert region in digest.subject
    line = "PSAD Bassin rennais : 1 nouveau dossier sans évolution, 1 en tout à ce jour"
    assert line in digest.text
    assert case.case_id not in digest.text and "http" not in digest.text


async def test_the_daily_digest_schedule_is_created_with_the_purge(
    dev_env: WorkflowEnvironment,
) -> None:
    await ensure_schedules(dev_env.client, "queue-a")
    await ensure_schedules(dev_env.client, "queue-b")  # idempotent: brought up to date
    try:
        described = await dev_env.client.get_schedule_handle(PILOT_DIGEST_SCHEDULE_ID).describe()
        action = described.schedule.action
        assert isinstance(action, ScheduleActionStartWorkflow)
        assert (action.workflow, action.task_queue) == ("PilotDigestWorkflow", "queue-b")
        assert described.schedule.spec.calendars[0].hour[0].start == 6
    finally:
        for schedule_id in (PILOT_DIGEST_SCHEDULE_ID, PURGE_SCHEDULE_ID):
            await dev_env.client.get_schedule_handle(schedule_id).delete()
