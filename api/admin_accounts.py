"""Administration of users' credentials: passwords, (de)activation, API tokens."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from api.auth_schemas import PasswordSetIn, TokenInfoOut
from api.auth_service import AccountService
from api.deps import CurrentUser, SessionDep
from api.schemas import UserOut
from api.sessions import auth_settings
from filrouge.settings import AuthSettings

router = APIRouter(prefix="/admin/users", tags=["administration"])
Settings = Annotated[AuthSettings, Depends(auth_settings)]


@router.put("/{user_id}/password", status_code=204)
async def set_user_password(
    user_id: str, body: PasswordSetIn, session: SessionDep, settings: Settings
) -> None:
    """Set a user's first password, or a new one when forgotten; their sessions end."""
    await AccountService(session, settings).set_password(user_id, body.password)


@router.post("/{user_id}/deactivate", response_model=UserOut)
async def deactivate_user(
    user_id: str, admin: CurrentUser, session: SessionDep, settings: Settings
) -> Any:
    """Deactivate a user: every token and session of theirs is refused at once."""
    return await AccountService(session, settings).set_active(user_id, False, by=admin.id)


@router.post("/{user_id}/reactivate", response_model=UserOut)
async def reactivate_user(
    user_id: str, admin: CurrentUser, session: SessionDep, settings: Settings
) -> Any:
    """Reactivate a user; their old tokens stay revoked (issue a new one)."""
    return await AccountService(session, settings).set_active(user_id, True, by=admin.id)


@router.get("/{user_id}/tokens", response_model=list[TokenInfoOut])
async def list_user_tokens(user_id: str, session: SessionDep, settings: Settings) -> Any:
    """A user's personal API tokens, revoked ones included (never the token values)."""
    return await AccountService(session, settings).tokens(user_id)


@router.delete("/{user_id}/tokens/{token_id}", status_code=204)
async def revoke_user_token(
    user_id: str, token_id: str, session: SessionDep, settings: Settings
) -> None:
    """Revoke a user's API token; it is refused from the next request on."""
    await AccountService(session, settings).revoke_token(user_id, token_id)
