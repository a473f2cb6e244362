"""Browser sessions: an opaque cookie, stored hashed with its expiry, and its CSRF token.

A session ends after `session_idle_timeout` without a request, or `session_lifetime` after
login, whichever comes first. Writes authenticated by the cookie must carry the session's
CSRF token in `X-CSRF-Token`, or in the `csrf_token` field of a page's HTML form (and, when
the browser sends one, an allowed `Origin`).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from fastapi import Request, Response
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.errors import Forbidden, Unauthorized
from filrouge.core.clock import utcnow
from filrouge.settings import AuthSettings
from filrouge.store.auth_repository import AuthRepository
from filrouge.store.engine import transaction
from filrouge.store.models import User, UserSession

CSRF_HEADER = "X-CSRF-Token"
# A plain HTML form of the pages (no script to set a header) sends it in this field.
CSRF_FIELD = "csrf_token"
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Ended sessions are kept this long (who was logged in when), then deleted at a login.
KEEP_ENDED_SESSIONS = timedelta(days=30)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class OpenedSession:
    """A new session: the secrets go to the browser once, only their hashes are stored."""

    id: str
    token: str
    csrf_token: str
    expires_at: datetime


def auth_settings(request: Request) -> AuthSettings:
    return request.app.state.auth_settings  # type: ignore[no-any-return]


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


async def session_from_cookie(
    sessions: async_sessionmaker[AsyncSession], settings: AuthSettings, token: str
) -> UserSession:
    """The live session of this cookie, its idle timer restarted; 401 when it has ended."""
    now = utcnow()
    async with transaction(sessions) as session:
        row = await AuthRepository(session).session_by_token(digest(token))
        if row is None or not _alive(row, settings, now):
            raise Unauthorized("Session expirée ou fermée : reconnectez-vous.")
        # Restart the idle timer, but write at most every minute (or quarter of the timeout).
        if now - row.last_seen_at > min(settings.session_idle_timeout / 4, timedelta(minutes=1)):
            row.last_seen_at = now
    return row


def check_origin(request: Request, settings: AuthSettings) -> None:
    """A browser's `Origin`, when sent, must be the API's own or an allowed one."""
    origin = request.headers.get("origin")
    if origin is None:
        return
    own = f"{request.url.scheme}://{request.url.netloc}"
    if origin.rstrip("/") not in {own, *settings.origins()}:
        raise Forbidden("Origine de la requête non autorisée.")


async def sent_csrf_token(request: Request) -> str:
    """The CSRF token a write carries: the `X-CSRF-Token` header or, from a form, its field."""
    sent = request.headers.get(CSRF_HEADER)
    content_type = request.headers.get("content-type", "")
    if sent or request.method in SAFE_METHODS or not content_type.startswith(FORM_TYPES):
        return sent or ""
    value = (await request.form()).get(CSRF_FIELD)
    return value if isinstance(value, str) else ""


def check_csrf(request: Request, row: UserSession, settings: AuthSettings, sent: str) -> None:
    """Cookie-authenticated writes carry the session's CSRF token and an allowed origin."""
    if request.method in SAFE_METHODS:
        return
    check_origin(request, settings)
    if not sent or not hmac.compare_digest(digest(sent), row.csrf_hash):
        raise Forbidden(
            "Jeton CSRF absent ou invalide : renvoyez dans l'en-tête X-CSRF-Token "
            f"la valeur du cookie {settings.csrf_cookie} reçue à la connexion."
        )


def set_session_cookies(response: Response, opened: OpenedSession, settings: AuthSettings) -> None:
    """The session cookie (HttpOnly) and the CSRF cookie (readable by the page's script)."""
    max_age = int(settings.session_lifetime.total_seconds())
    common = {"max_age": max_age, "path": "/", "secure": settings.https, "samesite": "lax"}
    response.set_cookie(settings.session_cookie, opened.token, httponly=True, **common)  # type: ignore[arg-type]
    response.set_cookie(settings.csrf_cookie, opened.csrf_token, httponly=False, **common)  # type: ignore[arg-type]


def clear_session_cookies(response: Response, settings: AuthSettings) -> None:
    for name, httponly in ((settings.session_cookie, True), (settings.csrf_cookie, False)):
        response.delete_cookie(
            name, path="/", secure=settings.https, httponly=httponly, samesite="lax"
        )
