"""The regional pilots' digest: counts per platform of their Région only, one mail, sent once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.testing import ActivityEnvironment

from activities.digest import DigestActivities
from filrouge.core.cases.pathway import TIMER_FIRED, AuditEvent
from filrouge.core.digest import PlanPilotDigestsInput, SendPilotDigestInput
from filrouge.mail.sink import MailSink
from filrouge.settings import SmtpSettings
from filrouge.store.audit_repository import AuditRepository
from filrouge.store.engine import transaction
from filrouge.store.models import Case, PilotDigest, Platform
from tests.activities.test_mail import (  # noqa: F401
    CASE,
    NO_CONSENT,
    NO_REFERENT,
    PILOT,
    YOUNG,
    bodies,
    db,
)

# The three cases of p1 entered their stage on 2025-03-01: stuck (30 days) since 2025-03-31.
MORNING = datetime(2025, 4, 15, 6, 0, tzinfo=UTC)
RENNES_PILOT = "pilotage@bretagne.example"


async def stuck_fired(
    sessions: async_sessionmaker[AsyncSession], case_id: str, at: datetime
) -> None:
    """What a case workflow records when its stuck escalation fires."""
    async with transaction(sessions) as session:
        audit = AuditRepository(session)
        case = await audit.lock_case(case_id)
        assert case is not None
        due = at.isoformat()
        data = {"deadline": "stuck_escalation", "due_at": due, "recipients": []}
        event = AuditEvent(key=f"timer:stuck_escalation@{due}", kind=TIMER_FIRED, data=data, at=at)
        await audit.append(case, [event])


@pytest.fixture
async def digests(
    db: async_sessionmaker[AsyncSession],  # noqa: F811
    mail_sink: MailSink,
) -> DigestActivities:
    """p1 (Hauts-de-France) has two cases newly stuck; p3 (Bretagne) one."""
    async with transaction(db) as session:
        session.add(Platform(id="p3", name="PSAD Rennes", region="Bretagne", created_at=MORNING))
        await session.flush()
        rennes = await session.get(Case, NO_REFERENT)
        assert rennes is not None
        rennes.platform_id = "p3"
    for case_id in (CASE, NO_CONSENT, NO_REFERENT):
        await stuck_fired(db, case_id, MORNING - timedelta(hours=3))
    smtp = SmtpSettings(host="127.0.0.1", port=mail_sink.port, timeout_seconds=5)
    return DigestActivities(db, smtp)


async def plan(digests: DigestActivities, now: datetime) -> list[str]:
    env = ActivityEnvironment()
    return (await env.run(digests.plan_pilot_digests, PlanPilotDigestsInput(now))).digest_ids


async def send(digests: DigestActivities, digest_id: str) -> str:
    return await ActivityEnvironment().run(
        digests.send_pilot_digest, SendPilotDigestInput(digest_id)
    )


async def test_each_region_gets_one_digest_of_counts_per_platform_once(
    digests: DigestActivities,
    mail_sink: MailSink,
    db: async_sessionmaker[AsyncSession],  # noqa: F811
) -> None:
    planned = await plan(digests, MORNING)
    assert len(planned) == 2  # Bretagne, Hauts-de-France
    assert await plan(digests, MORNING) == planned  # a retried plan adds nothing
    assert [await send(digests, d) for d in planned] == ["sent", "sent"]

    received = {tuple(m.envelope_to): m for m in mail_sink.wait_for(2)}
    assert set(received) == {(PILOT,), (RENNES_PILOT,)}  # never an inactive pilot
    north = bodies(received[(PILOT,)].message)
    assert "Région Hauts-de-France" in north
    assert "PSAD Lille : 2 nouveaux dossiers sans évolution, 2 en tout à ce jour" in north
    assert "PSAD Arras : 0 nouveau dossier sans évolution, 0 en tout à ce jour" in north
    assert "Rennes" not in north  # another Région's platform
    assert "PSAD Rennes : 1 nouveau dossier" in bodies(received[(RENNES_PILOT,)].message)
    for mail in received.values():
        content = bodies(mail.message) + mail.path.read_text(errors="replace")
        assert "http" not in content  # no link a pilot could not open
        for secret in (CASE, NO_CONSENT, NO_REFERENT, *YOUNG.values()):
            assert secret not in content

    # Sent once: sending again, or the next plan, mails nobody.
    assert [await send(digests, d) for d in planned] == ["sent", "sent"]
    assert await plan(digests, MORNING + timedelta(days=1)) == []  # nothing newly stuck
    assert len(mail_sink.messages) == 2
    async with transaction(db) as session:
        rows = (await session.scalars(select(PilotDigest))).all()
    assert sorted((r.region, r.status) for r in rows) == [
        ("Bretagne", "sent"),
        ("Hauts-de-France", "sent"),
    ]


async def test_the_next_digest_counts_only_what_became_stuck_since_the_last(
    digests: DigestActivities,
    mail_sink: MailSink,
    db: async_sessionmaker[AsyncSession],  # noqa: F811
) -> None:
    for digest_id in await plan(digests, MORNING):
        await send(digests, digest_id)
    await stuck_fired(db, CASE, MORNING + timedelta(hours=30))  # stuck again in a new stage

    [north] = await plan(digests, MORNING + timedelta(days=2))
    assert await send(digests, north) == "sent"
    [later] = [m for m in mail_sink.wait_for(3) if m.envelope_to == [PILOT]][1:]
    assert "PSAD Lille : 1 nouveau dossier sans évolution" in bodies(later.message)
