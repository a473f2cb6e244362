"""What the pages ask of the application, in one place.

The pages call the same services as the API, in process, never a route function and never
HTTP: cases through `filrouge.services.cases`, accounts through `filrouge.services.auth`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from fastapi import Request

from api.auth import client_ip
from api.deps import CurrentUserInfo, SessionDep
from api.sessions import OpenedSession
from filrouge.services.auth.accounts import AccountService
from filrouge.services.auth.activation import LINK_INVALID as LINK_INVALID  # a bad link
from filrouge.services.auth.activation import Onboarding
from filrouge.services.auth.passwords import WRONG_CURRENT, AuthService
from filrouge.services.cases.reading import CaseReader
from filrouge.services.cases.reading import WorklistQuery as WorklistQuery
from filrouge.settings import AuthSettings

if TYPE_CHECKING:  # a row type only: the pages read rows through services
    from filrouge.store.models import Case

__all__ = ["WRONG_CURRENT"]  # the refusal of a wrong current password (others: the new one)


@dataclass(frozen=True)
class TokenView:
    """A personal API token as the pages show it (never its value)."""

    id: str
    label: str
    created_at: datetime
    revoked_at: datetime | None


def _settings(request: Request) -> AuthSettings:
    return request.app.state.auth_settings  # type: ignore[no-any-return]


async def login(request: Request, email: str, password: str) -> OpenedSession:
    """Open a session with e-mail and password (throttled like the API's login)."""
    service = AuthService(request.app.state.sessions, _settings(request))
    _, opened = await service.login(email, password, client_ip(request))
    return opened


async def activate(request: Request, token: str, password: str) -> None:
    """Set a new user's password with the token of their activation link."""
    state = request.app.state
    onboarding = Onboarding(state.sessions, _settings(request), state.mailer, state.public_url)
    await onboarding.activate(token, password)


async def logout(request: Request, session: SessionDep, user: CurrentUserInfo) -> None:
    """Close the user's current browser session."""
    if user.session_id:
        await AccountService(session).end_session(user.session_id)


async def change_password(request: Request, user: CurrentUserInfo, current: str, new: str) -> None:
    """The user changes their own password; their other sessions are closed."""
    service = AuthService(request.app.state.sessions, _settings(request))
    await service.change_password(user, current, new, client_ip(request), user.session_id)


async def my_tokens(
    request: Request, session: SessionDep, user: CurrentUserInfo
) -> list[TokenView]:
    """The user's own API tokens, newest first."""
    rows = await AccountService(session).tokens(user.id)
    views = [TokenView(r.id, r.label, r.created_at, r.revoked_at) for r in rows]
    return sorted(views, key=lambda t: t.created_at, reverse=True)


async def revoke_my_token(
    request: Request, session: SessionDep, user: CurrentUserInfo, token_id: str
) -> None:
    """Revoke one of the user's own tokens (404 for anybody else's)."""
    await AccountService(session).revoke_token(user.id, token_id, by=user)


async def worklist(
    session: SessionDep, user: CurrentUserInfo, query: WorklistQuery
) -> tuple[Sequence[Case], int]:
    """The user's cases, most urgent first, filtered and searched inside their platform."""
    return await CaseReader(session).worklist(user, query)
