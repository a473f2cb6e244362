"""`make bench-platforms`: what one case creation and one retention pass cost as platforms grow.

A migrated SQLite database (a fresh temporary file) gets N platforms, each with its own
territory (two communes, two postal codes) and a full stored timer policy; one platform has a
Mission locale with a référent. Then, at N = 10 and N = 2,000 (by default):

- `placement_ms`: the database side of `POST /cases` for one young person, i.e.
  `Placer.load` + `Placer.place` + `Placer.flush`, in a transaction that is rolled back
  (median of repeated runs, one process, no Temporal);
- `retention_ms`: the statements `find_expired_cases` runs for every platform (median of
  repeated runs, nothing to find), with their count (`retention_statements`).

Figures go to stdout and bench/results/platforms.json; compare ratios, not absolute values,
on a shared machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import event, insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.testing import ActivityEnvironment

from activities.retention import RetentionActivities
from filrouge.core.domain import Actor, Role, Source, StructureKind, TimerPolicy
from filrouge.core.retention import FindExpiredCasesInput
from filrouge.services.cases.placement import Candidate, Placer
from filrouge.store.engine import make_engine, make_sessionmaker
from filrouge.store.migrate import upgrade
from filrouge.store.models import Platform, Structure, User

RESULTS = Path(__file__).parent / "results" / "platforms.json"
AT = datetime(2025, 3, 1, 9, tzinfo=UTC)
TARGET = "p00000"  # the platform the young person is routed to (it has the référent)


def _platform(n: int) -> dict[str, Any]:
    codes = [f"{n:05d}{k}" for k in range(4)]
    policy = TimerPolicy(retention=f"P{24 + n % 3}M")  # three distinct retention limits
    return {
        "id": f"p{n:05d}",
        "name": f"PSAD {n}",
        "region": f"Région {n % 13}",
        "territory": {"communes": codes[:2], "postal_codes": codes[2:]},
        "policy": {f: getattr(policy, f) for f in policy.__dataclass_fields__}
        | {"follow_up_checks": list(policy.follow_up_checks)},
        "time_zone": None,
        "created_at": AT,
    }


async def seed(sessions: async_sessionmaker[AsyncSession], count: int, start: int) -> None:
    async with sessions.begin() as session:
        rows = [_platform(n) for n in range(start, count)]
        for chunk in range(0, len(rows), 500):
            await session.execute(insert(Platform), rows[chunk : chunk + 500])
        if start == 0:
            kind = StructureKind.MISSION_LOCALE.value
            session.add(Structure(id="s-ml", platform_id=TARGET, name="ML", kind=kind))
            session.add(
                User(
                    id="u-ref",
                    display_name="Référent",
                    email="referent@example.invalid",
                    role=Role.REFERENT.value,
                    platform_id=TARGET,
                    structure_id="s-ml",
                    active=True,
                    created_at=AT,
                )
            )


def candidate(n: int) -> Candidate:
    return Candidate(
        key=f"bench-{n}",
        identity={
            "last_name": "Martin",
            "first_name": f"Camille{n}",
            "birth_date": date(2008, 5, 4),
            "commune_insee": "000000",  # the first commune of p00000
            "postal_code": None,
        },
        source=Source.CIO,
        identified_at=AT,
        actor=Actor(user_id="u-coord", role=Role.COORDINATEUR),
        fallback_platform_id=TARGET,
        assign_unrouted=True,
    )


async def time_placement(sessions: async_sessionmaker[AsyncSession], runs: int) -> float:
    timings = []
    for n in range(runs):
        async with sessions() as session:
            await session.begin()
            began = time.perf_counter()
            placer = Placer(session)
            one = candidate(n)
            await placer.load([one])
            placed = placer.place(one)
            await placer.flush()
            timings.append(time.perf_counter() - began)
            assert placed.platform_id == TARGET and placed.case_id, placed
            await session.rollback()
    return statistics.median(timings) * 1000


async def time_retention(
    sessions: async_sessionmaker[AsyncSession], runs: int, statements: list[str]
) -> tuple[float, int]:
    retention = RetentionActivities(sessions, client=None)  # type: ignore[arg-type]
    env, timings = ActivityEnvironment(), []
    for _ in range(runs):
        statements.clear()
        began = time.perf_counter()
        await env.run(retention.find_expired_cases, FindExpiredCasesInput(AT))
        timings.append(time.perf_counter() - began)
    return statistics.median(timings) * 1000, len(statements)


async def run(sizes: list[int], runs: int) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        await asyncio.to_thread(upgrade, url)
        engine = make_engine(url)
        statements: list[str] = []
        event.listen(
            engine.sync_engine,
            "before_cursor_execute",
            lambda _c, _cur, statement, *_a: statements.append(statement),
        )
        sessions = make_sessionmaker(engine)
        seeded = 0
        for size in sorted(sizes):
            await seed(sessions, size, seeded)
            seeded = size
            await time_placement(sessions, 3)  # warm-up
            placement = await time_placement(sessions, runs)
            retention, count = await time_retention(sessions, max(3, runs // 4), statements)
            figures[str(size)] = {
                "placement_ms": round(placement, 2),
                "retention_ms": round(retention, 2),
                "retention_statements": count,
            }
            print(f"{size:>6} platforms: {figures[str(size)]}", flush=True)
        await engine.dispose()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 2000])
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--no-save", action="store_true", help="print only")
    args = parser.parse_args()
    figures = asyncio.run(run(args.sizes, args.runs))
    if not args.no_save:
        RESULTS.write_text(
            json.dumps({"measured_at": datetime.now(UTC).isoformat()} | figures, indent=2) + "\n"
        )


if __name__ == "__main__":
    main()
