"""A task cancelled in the middle of a statement must not leave its transaction open."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from filrouge.store.engine import make_engine, make_sessionmaker, transaction


async def test_a_cancelled_unit_of_work_releases_the_sqlite_write_lock(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/lock.db"
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    async with transaction(sessions) as session:
        await session.execute(text("CREATE TABLE t (x INTEGER)"))

    async def busy_writer(writing: asyncio.Event) -> None:
        async with transaction(sessions) as session:
            await session.execute(text("INSERT INTO t VALUES (1)"))
            writing.set()
            while True:  # always inside a statement when the cancellation comes
                await session.execute(text("SELECT count(*) FROM t"))

    other = create_async_engine(url, connect_args={"timeout": 2})
    kept = []  # the cancellations stay referenced, as a worker's failure reporting keeps them
    try:
        for _ in range(6):
            writing = asyncio.Event()
            task = asyncio.create_task(busy_writer(writing))
            await writing.wait()  # the write lock is held
            await asyncio.sleep(0.02)  # well inside the loop of statements
            task.cancel()
            kept += await asyncio.gather(task, return_exceptions=True)
            async with other.begin() as connection:  # "database is locked" without the fix
                await connection.execute(text("INSERT INTO t VALUES (2)"))
        async with transaction(sessions) as session:
            values = (await session.execute(text("SELECT x FROM t"))).scalars().all()
        assert values == [2] * 6  # the cancelled inserts were rolled back
        assert all(isinstance(k, asyncio.CancelledError) for k in kept)
    finally:
        await other.dispose()
        await engine.dispose()
