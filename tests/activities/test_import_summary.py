"""The import summary mail: sent once, even when the worker dies right after the server took it."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.testing import ActivityEnvironment

from activities.delivery import DELIVERED
from activities.intake import IntakeActivities
from filrouge.core.domain import DeliveryStatus, ImportStatus
from filrouge.core.intake_contracts import FinishImportInput
from filrouge.mail.mailer import message_id_for
from filrouge.mail.sink import MailSink
from filrouge.settings import SmtpSettings
from filrouge.store.engine import transaction
from filrouge.store.models import Import
from tests.activities.test_mail import COORDINATORS, NOW, PUBLIC_URL, db  # noqa: F401

IMPORT = "imp-summary-1"


class _WorkerKilled(Exception):
    """Stands for a SIGKILL of the worker right after the activity's heartbeat."""


@pytest.fixture
async def intake(db: async_sessionmaker[AsyncSession], mail_sink: MailSink) -> IntakeActivities:  # noqa: F811
    async with transaction(db) as session:
        session.add(
            Import(
                id=IMPORT,
                platform_id="p1",
                uploaded_by="coord-cio",
                filename="liste.csv",
                content_sha256="0" * 64,
                status=ImportStatus.DONE,
                identified_on=date(2025, 3, 1),
                created_at=NOW,
            )
        )
    smtp = SmtpSettings(host="127.0.0.1", port=mail_sink.port, timeout_seconds=5)
    return IntakeActivities(db, smtp, PUBLIC_URL)


async def summary_status(sessions: async_sessionmaker[AsyncSession]) -> str | None:
    async with transaction(sessions) as session:
        imp = await session.get(Import, IMPORT)
        assert imp is not None
        return imp.summary_status


async def test_summary_killed_after_the_server_took_it_is_not_sent_again(
    intake: IntakeActivities,
    mail_sink: MailSink,
    db: async_sessionmaker[AsyncSession],  # noqa: F811
) -> None:
    first, beats = ActivityEnvironment(), []

    def killed(*details: object) -> None:
        beats.append(details)
        raise _WorkerKilled

    first.on_heartbeat = killed
    with pytest.raises(_WorkerKilled):
        await first.run(intake.send_import_summary, FinishImportInput(IMPORT))
    received = mail_sink.wait_for(1)
    assert sorted(received[0].envelope_to) == sorted(COORDINATORS)
    assert beats == [(DELIVERED, 0)]
    assert await summary_status(db) == DeliveryStatus.PENDING  # killed before the mark

    retry = ActivityEnvironment()
    retry.info = dataclasses.replace(retry.info, attempt=2, heartbeat_details=beats[-1])
    assert await retry.run(intake.send_import_summary, FinishImportInput(IMPORT)) == "sent"
    assert await summary_status(db) == DeliveryStatus.SENT
    # A later attempt (a replayed activity, a second finish) finds it sent.
    assert (
        await ActivityEnvironment().run(intake.send_import_summary, FinishImportInput(IMPORT))
        == DeliveryStatus.SENT
    )
    assert len(mail_sink.messages) == 1
    sender = SmtpSettings().sender
    assert mail_sink.messages[0].message["Message-ID"] == message_id_for(f"import|{IMPORT}", sender)
