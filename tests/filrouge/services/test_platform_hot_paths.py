"""Case creation and the purge do not read every platform's policy: their cost and their
queries do not grow with the number of platforms (bench/platforms.py gives the figures)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import delete, event
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.testing import ActivityEnvironment

from activities.retention import RetentionActivities
from filrouge.core.domain import Actor, Role, Source, Stage, TimerPolicy
from filrouge.core.retention import FindExpiredCasesInput
from filrouge.services.cases.placement import Candidate, Placer
from filrouge.services.reference.admin import policy_json
from filrouge.store.engine import transaction
from filrouge.store.models import Case, Platform
from tests.support.territory import Territory

NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def _platform(platform_id: str, policy: dict[str, object], territory: Territory | None) -> Platform:
    return Platform(
        id=platform_id,
        name=platform_id,
        territory=territory.claim() if territory else {},
        policy=policy,
        created_at=NOW,
    )


@pytest.fixture
async def broken_platform(
    sessions: async_sessionmaker[AsyncSession],
) -> AsyncIterator[str]:
    """A platform whose stored policy is unusable (written before the checks, by hand...);
    removed afterwards, since every purge of the database reads it."""
    platform_id = f"broken-{uuid.uuid4().hex[:8]}"
    async with transaction(sessions) as session:
        session.add(_platform(platform_id, {"retention": "jamais"}, None))
    yield platform_id
    async with transaction(sessions) as session:
        await session.execute(delete(Platform).where(Platform.id == platform_id))


async def test_a_placement_reads_the_policy_of_its_platform_only(
    sessions: async_sessionmaker[AsyncSession], territory: Territory, broken_platform: str
) -> None:
    """Before: every platform's policy was parsed per placement, so one unusable policy
    anywhere made every case creation fail (ValueError)."""
    target = f"p-{uuid.uuid4().hex[:8]}"
    policy = TimerPolicy(reminder_no_contact="P9D")
    async with transaction(sessions) as session:
        session.add(_platform(target, policy_json(policy), territory))
    candidate = Candidate(
        key=f"hot-{uuid.uuid4().hex}",
        identity={
            "last_name": "Martin",
            "first_name": "Camille",
            "birth_date": date(2008, 5, 4),
            "commune_insee": territory.commune,
        },
        source=Source.CIO,
        identified_at=NOW,
        actor=Actor(user_id="u-hot", role=Role.COORDINATEUR),
        fallback_platform_id=broken_platform,  # routed away from it by its territory
    )
    async with sessions() as session:
        placer = Placer(session)
        await placer.load([candidate])
        placed = placer.place(candidate)
        start = placer.start_input(candidate, "c-hot", placed.platform_id, None)
        await session.rollback()

    assert placed.platform_id == target and placed.case_id
    assert placer.policies == {target: policy}
    assert start.policy.reminder_no_contact == "P9D"


async def _statements_of_a_purge(
    sessions: async_sessionmaker[AsyncSession],
) -> tuple[int, list[str]]:
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    bind = sessions.kw["bind"].sync_engine
    event.listen(bind, "before_cursor_execute", count)
    try:
        activities = RetentionActivities(sessions, client=None)  # type: ignore[arg-type]
        found = await ActivityEnvironment().run(
            activities.find_expired_cases, FindExpiredCasesInput(NOW)
        )
    finally:
        event.remove(bind, "before_cursor_execute", count)
    return len(statements), found.case_ids


async def test_the_purge_asks_once_per_retention_limit_not_once_per_platform(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """Two retention limits no other test uses; 2 platforms, then 42: the purge runs as
    many statements (before: one more per platform), and finds the same cases."""
    run = uuid.uuid4().hex[:6]
    limits = ["P900D", "P1000D"]  # closed 950 days ago: past the first only

    async def add_platforms(first: int, count: int) -> list[str]:
        ids = [f"ret-{run}-{n}" for n in range(first, first + count)]
        async with transaction(sessions) as session:
            for n, platform_id in enumerate(ids, start=first):
                policy = policy_json(TimerPolicy(retention=limits[n % 2]))
                session.add(_platform(platform_id, policy, None))
            await session.flush()
            for platform_id in ids:
                session.add(
                    Case(
                        id=f"c{platform_id}",
                        platform_id=platform_id,
                        source=Source.CIO.value,
                        identified_at=NOW - timedelta(days=1200),
                        stage=Stage.CLOTURE,
                        closed_at=NOW - timedelta(days=950),
                        updated_at=NOW,
                    )
                )
        return ids

    few = await add_platforms(0, 2)
    before, found = await _statements_of_a_purge(sessions)
    assert f"c{few[0]}" in found and f"c{few[1]}" not in found

    many = await add_platforms(2, 40)
    after, found = await _statements_of_a_purge(sessions)

    assert after == before
    expired = {f"c{p}" for n, p in enumerate(few + many) if n % 2 == 0}
    kept = {f"c{p}" for n, p in enumerate(few + many) if n % 2 == 1}
    assert expired <= set(found) and not kept & set(found)
    # by platform, then case, as one pass per platform gave them
    assert [c for c in found if c in expired] == sorted(expired)
