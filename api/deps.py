"""Request dependencies: the transaction, the Temporal client and the authenticated user."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client

from api.errors import Forbidden, Unauthorized
from api.sessions import auth_settings, check_csrf, sent_csrf_token
from filrouge.core.caller import Caller
from filrouge.core.domain import Role
from filrouge.services.access.tokens import hash_token, token_user
from filrouge.services.auth.sessions import resume_session
from filrouge.services.transactions import unit_of_work

__all__ = ["CurrentUserInfo", "hash_token"]  # hash_token: where tests and auth expect it


@dataclass(frozen=True)
class CurrentUserInfo(Caller):
    """The caller of a request: what services need, plus how they authenticated."""

    # The browser session the request came with; None for a personal API token.
    session_id: str | None = None


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """The request's unit of work: committed when the handler succeeds, rolled back otherwise."""
    async with unit_of_work(request.app.state.sessions()) as session:
        yield session


def get_temporal(request: Request) -> Client:
    return request.app.state.temporal  # type: ignore[no-any-return]


# "function": committed before the answer leaves, so a client that acts on it (a browser
# following a redirect) sees the change; by default FastAPI would commit after sending.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
TemporalDep = Annotated[Client, Depends(get_temporal)]


async def authenticate(request: Request, authorization: str | None) -> CurrentUserInfo:
    """Authenticate a personal API token (`Authorization: Bearer <token>`) or, without one,
    the browser session cookie (CSRF-checked for writes), once per request."""
    cached = getattr(request.state, "user", None)
    if isinstance(cached, CurrentUserInfo):
        return cached
    if authorization and authorization.lower().startswith("bearer "):
        info = await _token_user(request, authorization[7:].strip())
    else:
        info = await _session_user(request)
    request.state.user = info
    return info


async def _token_user(request: Request, token: str) -> CurrentUserInfo:
    # Read on every request, never cached: a revoked token is refused at once.
    caller = await token_user(request.app.state.sessions, token)
    if caller is None:
        raise Unauthorized("Jeton invalide ou révoqué.")
    return CurrentUserInfo(
        caller.id, caller.role, caller.platform_id, caller.structure_id, caller.time_zone
    )


async def _session_user(request: Request) -> CurrentUserInfo:
    settings = auth_settings(request)
    cookie = request.cookies.get(settings.session_cookie)
    if not cookie:
        raise Unauthorized(
            "Authentification requise : en-tête « Authorization: Bearer <jeton> » "
            "ou session ouverte par POST /auth/login."
        )
    row = await resume_session(request.app.state.sessions, settings, cookie)
    check_csrf(request, row, settings, await sent_csrf_token(request))
    user = row.user
    return CurrentUserInfo(
        user.id,
        user.role,
        user.platform_id,
        user.structure_id,
        user.time_zone,
        session_id=row.id,
    )


async def get_current_user(
    request: Request, authorization: Annotated[str | None, Header()] = None
) -> CurrentUserInfo:
    """The authenticated caller (see `authenticate`)."""
    return await authenticate(request, authorization)


CurrentUser = Annotated[CurrentUserInfo, Depends(get_current_user)]


def require_role(*roles: Role) -> Any:
    """Dependency factory: the current user must hold one of `roles`."""

    async def _check(user: CurrentUser) -> CurrentUserInfo:
        if user.role not in roles:
            raise Forbidden("Cette action n'est pas autorisée pour votre rôle.")
        return user

    return Depends(_check)


IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=200,
        description="Rejouer une requête avec la même clé renvoie le même résultat.",
    ),
]
