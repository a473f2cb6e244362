"""Personal API tokens: stored as a hash, read on every request (a revoked one fails at once)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from filrouge.core.caller import Caller
from filrouge.services.auth.callers import caller_of
from filrouge.services.auth.hashing import digest
from filrouge.store.engine import transaction
from filrouge.store.repositories import ReferenceRepository


def hash_token(token: str) -> str:
    """The stored form of a personal API token."""
    return digest(token)


async def token_user(sessions: async_sessionmaker[AsyncSession], token: str) -> Caller | None:
    """The active user holding this unrevoked token, or None."""
    # Its own short transaction, not the request's: a step waits on the workflow, whose
    # activities write, and an open request transaction would hold SQLite's write lock.
    async with transaction(sessions) as session:
        row = await ReferenceRepository(session).token(hash_token(token))
        if row is None or row.revoked_at is not None or not row.user.active:
            return None
        return await caller_of(session, row.user)
