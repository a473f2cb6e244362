"""Async engine and session factory for SQLite (embedded default) and PostgreSQL."""

from __future__ import annotations

import asyncio
import logging
import traceback
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)


class _NoPersonalData(logging.Filter):
    """Drops the driver records that carry values: result rows, statement parameters."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.startswith("aiosqlite"):
            # "executing functools.partial(<execute>, 'INSERT ...', (<the values>))"
            return record.levelno > logging.DEBUG
        return record.msg != "Row %r"


_NO_PERSONAL_DATA = _NoPersonalData()


def _quiet_value_logs() -> None:
    """Even with every logger at DEBUG, no row or parameter of ours reaches a log."""
    for name in ("sqlalchemy.engine.Engine", "aiosqlite"):
        logger = logging.getLogger(name)
        if _NO_PERSONAL_DATA not in logger.filters:
            logger.addFilter(_NO_PERSONAL_DATA)


def make_engine(url: str, echo: bool = False) -> AsyncEngine:
    """Create an engine; SQLite gets WAL, a busy timeout and serialised write transactions.

    Statement parameters are hidden from logs and error messages: they hold personal data.
    """
    _quiet_value_logs()
    options: dict[str, Any] = {"echo": echo, "hide_parameters": True}
    if url.startswith("sqlite"):
        engine = create_async_engine(url, connect_args={"timeout": 30}, **options)
        _configure_sqlite(engine)
        return engine
    return create_async_engine(url, pool_size=10, max_overflow=10, pool_pre_ping=True, **options)


def _configure_sqlite(engine: AsyncEngine) -> None:
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy own transactions, and take the write lock at BEGIN so that two
        # writers never deadlock upgrading a read lock (the hash chain needs serial appends).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        # Deleted or overwritten content is zeroed, not left in the file's free space: an
        # erased young person must not be readable in the database file.
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.close()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


async def wipe_old_versions(sessions: async_sessionmaker[AsyncSession]) -> bool:
    """After an erasure on SQLite: copy the write-ahead log into the database file and empty
    it, so that no older version of an erased row survives in a log frame (the pages
    themselves are zeroed by `secure_delete`). True when done; False when a reader kept the
    log busy past the timeout (the next erasure, or SQLite's own checkpoints, finish it).
    PostgreSQL keeps old row versions until VACUUM (docs/security.md)."""
    engine = sessions.kw.get("bind")
    if not isinstance(engine, AsyncEngine) or engine.dialect.name != "sqlite":
        return True
    async with engine.connect() as connection:
        raw = await connection.get_raw_connection()
        driver: Any = raw.driver_connection
        cursor = await driver.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        busy, _, _ = await cursor.fetchone()
        await cursor.close()
    return not busy


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


@asynccontextmanager
async def transaction(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """One unit of work: commit on success, roll back on error."""
    async with unit_of_work(sessions()) as session:
        yield session


@asynccontextmanager
async def unit_of_work(session: AsyncSession) -> AsyncIterator[AsyncSession]:
    """Begin, then commit or roll back; a cancelled task drops its connection.

    A task cancelled while a statement runs (an activity cancelled at worker shutdown or on
    a heartbeat timeout, a client that hung up) would otherwise leave its transaction open
    on a pooled connection: with SQLite that is the database's write lock, held until the
    connection is collected, and every other writer fails with "database is locked".
    Invalidating closes the connection, which rolls the transaction back, once nothing
    holds the interrupted statement any more.
    """
    try:
        async with session.begin():
            yield session
    except asyncio.CancelledError as cancelled:
        # The interrupted statement's cursor lives on in the traceback's frames; while it
        # does, SQLite keeps the closed connection (and its lock) as a zombie.
        traceback.clear_frames(cancelled.__traceback__)
        await asyncio.shield(session.invalidate())
        raise
    finally:
        await asyncio.shield(session.close())
