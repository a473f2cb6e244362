"""A mail outage never kills a case: SMTP down for a week, or refusing our credentials.

The case workflow runs on the time-skipping server with the real activities; the SMTP server
is a real loopback sink that is stopped and started again, or that requires a login.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import WorkflowExecutionStatus
from temporalio.testing import WorkflowEnvironment

from filrouge.core.domain import AttemptResult
from filrouge.core.retry import REDELIVERY_EVERY
from filrouge.mail.sink import MailSink
from filrouge.settings import SmtpSettings
from startup.worker import build_worker
from tests.conftest import time_skipping_server
from tests.workflows.test_case_workflow import (
    DAY,
    MINUTE,
    PUBLIC_URL,
    CaseRun,
    kind_of,
    mails,
    no_new_mail,
    start_case,
    wait_for_mail,
)
from workflows.case import CaseWorkflow

LOGIN = ("filrouge", "mot-de-passe-du-relais")
STEP = timedelta(hours=4)


@pytest.fixture
async def env() -> AsyncIterator[WorkflowEnvironment]:
    """A time-skipping server of the test's own. A simulated week of outage costs hundreds of
    real mail retries: the test neither inherits another test's timers, time-skipping lock or
    connection, nor leaves its own to the next test (a CI run once lost both tests of a
    backend that way, the second one waiting on the first one's leftovers)."""
    async with time_skipping_server() as server:
        yield server


async def advance(case: CaseRun, until: datetime) -> None:
    """Let time pass in steps of a few hours: the mail retries of each step take real time,
    and one long sleep would outlast the test server's call timeout on a loaded machine."""
    while (now := await case.now()) < until:
        await case.jump_to(min(until, now + STEP))


async def running(case: CaseRun) -> bool:
    return (await case.handle.describe()).status == WorkflowExecutionStatus.RUNNING


async def kinds_of(case: CaseRun, kind: str) -> list[dict[str, object]]:
    return [e.data for e in await case.audit() if e.kind == kind]


async def test_smtp_down_for_a_week_keeps_the_case_and_sends_each_mail_once_after(
    env: WorkflowEnvironment,
    sessions: async_sessionmaker[AsyncSession],
    mail_sink: MailSink,
) -> None:
    queue = f"outage-{uuid.uuid4()}"
    smtp = SmtpSettings(host="127.0.0.1", port=mail_sink.port)
    async with build_worker(env.client, queue, sessions, smtp, PUBLIC_URL):
        case = await start_case(env, sessions, mail_sink, queue)
        t0 = await case.stage_entered_at()
        await advance(case, t0 + 4 * DAY)
        mail_sink.stop()  # down from day 4 to day 11: the reminder (day 5) waits past its window

        await advance(case, t0 + 8 * DAY)
        assert await running(case)
        undelivered = await kinds_of(case, "email_undelivered")
        assert [(e["kind"], e["recipient"]) for e in undelivered] == [
            ("no_contact_reminder", "referent")
        ]
        assert "connexion impossible" in str(undelivered[0]["reason"])
        assert "non remis" in str(undelivered[0]["label"])
        [row] = await case.outbox()
        assert row.status == "undelivered"
        # Steps still work during the outage.
        assert (await case.attempt(AttemptResult.PAS_DE_REPONSE)).version > 0

        await advance(case, t0 + 11 * DAY)
        assert await running(case)
        mail_sink.start()  # back: the reminder goes at the next try, nothing twice
        await advance(case, t0 + 11 * DAY + REDELIVERY_EVERY + MINUTE)
        sent = await wait_for_mail(mail_sink, 1)
        await advance(case, t0 + 30 * DAY + MINUTE)  # later timers run on
        await no_new_mail(mail_sink, 1)

    assert [kind_of(m) for m in sent] == ["no_contact_reminder"]
    assert await running(case)
    outbox = await case.outbox()
    assert [(r.kind, r.status) for r in outbox] == [("no_contact_reminder", "sent")]
    assert len(await kinds_of(case, "email_sent")) == 1
    assert len(await kinds_of(case, "email_undelivered")) == 1
    assert await case.verify_chain()


async def test_refused_credentials_keep_the_case_and_a_retry_sends_once_fixed(
    env: WorkflowEnvironment,
    sessions: async_sessionmaker[AsyncSession],
    tmp_path: object,
) -> None:
    queue = f"auth-{uuid.uuid4()}"
    with MailSink(directory=f"{tmp_path}/mail", port=0, credentials=LOGIN) as sink:
        smtp = SmtpSettings(
            host="127.0.0.1", port=sink.port, username=LOGIN[0], password="ancien-mot-de-passe"
        )
        async with build_worker(env.client, queue, sessions, smtp, PUBLIC_URL):
            case = await start_case(env, sessions, sink, queue)
            t0 = await case.stage_entered_at()
            await advance(case, t0 + 5 * DAY + MINUTE)
            await advance(case, t0 + 5 * DAY + 2 * MINUTE)

            assert await running(case)
            [undelivered] = await kinds_of(case, "email_undelivered")
            assert "authentification SMTP refusée (535)" in str(undelivered["reason"])
            [row] = await case.outbox()
            assert (row.status, row.attempts) == ("undelivered", 1)  # not retried in a loop
            assert mails(sink) == []

            sink.credentials = (LOGIN[0], "ancien-mot-de-passe")  # the relay is fixed
            await case.handle.signal(CaseWorkflow.retry_mails)  # a coordinator's retry
            await wait_for_mail(sink, 1)
            await advance(case, t0 + 5 * DAY + 2 * REDELIVERY_EVERY)
            await no_new_mail(sink, 1)

    assert kind_of(mails(sink)[0]) == "no_contact_reminder"
    assert [r.status for r in await case.outbox()] == ["sent"]
    assert len(await kinds_of(case, "email_sent")) == 1
