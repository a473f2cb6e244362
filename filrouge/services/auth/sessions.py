"""Browser sessions: an opaque secret stored hashed with its expiry, and its CSRF token.

A session ends after `session_idle_timeout` without a request, or `session_lifetime` after
login, whichever comes first. Carrying the secrets (cookies) and checking the CSRF token
of a write are the door's part.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from filrouge.core.caller import Caller
from filrouge.core.clock import utcnow
from filrouge.core.errors import NotAuthenticated
from filrouge.services.auth.callers import caller_of
from filrouge.services.auth.hashing import digest
from filrouge.settings import AuthSettings
from filrouge.store.auth_repository import AuthRepository
from filrouge.store.engine import transaction
from filrouge.store.models import User, UserSession

# Ended sessions are kept this long (who was logged in when), then deleted at a login.
KEEP_ENDED_SESSIONS = timedelta(days=30)
SESSION_ENDED = "Session expirée ou fermée : reconnectez-vous."


@dataclass(frozen=True)
class OpenedSession:
    """A new session: the secrets go to the browser once, only their hashes are stored."""

    id: str
    token: str
    csrf_token: str
    expires_at: datetime


@dataclass(frozen=True)
class LiveSession:
    """A session in use: who it belongs to, and the hash its CSRF token must match."""

    id: str
    csrf_hash: str
    user: Caller


async def open_session(
    session: AsyncSession, settings: AuthSettings, user: User, method: str
) -> OpenedSession:
    """Create a session for `user` (logged in by `method`: password or oidc)."""
    now = utcnow()
    repo = AuthRepository(session)
    await repo.delete_expired_sessions(now - KEEP_ENDED_SESSIONS)
    opened = OpenedSession(
        id=f"s{uuid.uuid4().hex[:15]}",
        token=secrets.token_urlsafe(32),
        csrf_token=secrets.token_urlsafe(32),
        expires_at=now + settings.session_lifetime,
    )
    await repo.add(
        UserSession(
            id=opened.id,
            user_id=user.id,
            token_hash=digest(opened.token),
            csrf_hash=digest(opened.csrf_token),
            method=method,
            created_at=now,
            last_seen_at=now,
            expires_at=opened.expires_at,
            revoked_at=None,
        )
    )
    return opened


def _alive(row: UserSession, settings: AuthSettings, now: datetime) -> bool:
    return (
        row.revoked_at is None
        and now < row.expires_at
        and now < row.last_seen_at + settings.session_idle_timeout
        and row.user.active
    )


async def resume_session(
    sessions: async_sessionmaker[AsyncSession], settings: AuthSettings, token: str
) -> LiveSession:
    """The live session of this secret, its idle timer restarted; `NotAuthenticated` when
    it has ended."""
    now = utcnow()
    async with transaction(sessions) as session:
        row = await AuthRepository(session).session_by_token(digest(token))
        if row is None or not _alive(row, settings, now):
            raise NotAuthenticated(SESSION_ENDED)
        # Restart the idle timer, but write at most every minute (or quarter of the timeout).
        if now - row.last_seen_at > min(settings.session_idle_timeout / 4, timedelta(minutes=1)):
            row.last_seen_at = now
        return LiveSession(row.id, row.csrf_hash, await caller_of(session, row.user))


async def end_session(session: AsyncSession, session_id: str) -> None:
    """Close a session (logout); closing one already closed changes nothing."""
    row = await AuthRepository(session).session_by_id(session_id)
    if row is not None and row.revoked_at is None:
        row.revoked_at = utcnow()


async def session_expiry(session: AsyncSession, session_id: str) -> datetime | None:
    """When this session ends at the latest (None if it is unknown)."""
    row = await AuthRepository(session).session_by_id(session_id)
    return row.expires_at if row else None
