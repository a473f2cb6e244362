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
from api.rights import export_document
from api.sessions import OpenedSession
from filrouge.core.cases.declaration import StepDeclaration
from filrouge.services.access.cases import CaseAccess, case_access
from filrouge.services.auth.accounts import AccountService
from filrouge.services.auth.activation import LINK_INVALID as LINK_INVALID  # a bad link
from filrouge.services.auth.activation import Onboarding
from filrouge.services.auth.passwords import WRONG_CURRENT, AuthService
from filrouge.services.cases.reading import CaseFile, CaseReader
from filrouge.services.cases.reading import WorklistQuery as WorklistQuery
from filrouge.services.cases.service import CaseService
from filrouge.services.rights.requests import Rectification, rectify
from filrouge.settings import AuthSettings

if TYPE_CHECKING:  # row types only: the pages read rows through services
    from filrouge.store.models import Case, CaseNote, User

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


# ---------------------------------------------------------------- one case


def case_service(request: Request) -> CaseService:
    """The service that runs the human steps (as the API's step routes do)."""
    return request.app.state.case_service  # type: ignore[no-any-return]


async def case_file(session: SessionDep, user: CurrentUserInfo, case_id: str) -> CaseFile:
    """The case, its history and its check, its notes (NotFound when the user may not read it)."""
    return await CaseReader(session).file(user, case_id)


def access(user: CurrentUserInfo, case: Case) -> CaseAccess:
    """Whether the user acts on this case or only reads it."""
    return case_access(user, case)


async def allowed_steps(
    request: Request, user: CurrentUserInfo, case: Case
) -> list[StepDeclaration]:
    """The steps this user may take now on a case they read (registry.allowed_steps)."""
    return await case_service(request).allowed_steps(user, case)


async def colleagues(session: SessionDep, user: CurrentUserInfo) -> list[User]:
    """The users of the user's platform (names in a history, référents to assign)."""
    return await CaseReader(session).colleagues(user)


async def add_note(session: SessionDep, user: CurrentUserInfo, case_id: str, text: str) -> CaseNote:
    """A note kept inside the user's platform."""
    return await CaseReader(session).add_note(user, case_id, text)


async def export_file(
    request: Request, session: SessionDep, user: CurrentUserInfo, case_id: str
) -> str:
    """Right of access: the young person's complete file, a printable French page."""
    return await export_document(request, session, user, case_id, "export_download")


async def rectify_person(
    request: Request,
    session: SessionDep,
    user: CurrentUserInfo,
    case_id: str,
    changes: dict[str, object],
) -> Rectification:
    """Right of rectification, checked like a creation (as PATCH /cases/{id}/person)."""
    return await rectify(session, request.app.state.temporal, user, case_id, changes)
