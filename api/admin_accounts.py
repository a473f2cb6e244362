"""Administration of users' accounts: creation with an activation link, (de)activation,
revocation of tokens, and the audit log of credential actions. No endpoint here reads or
sets another person's password or token."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from api.auth_schemas import ActivationOut, AdminAuditOut, CreatedUserOut, TokenInfoOut
from api.deps import CurrentUser, SessionDep
from api.schemas import UserIn, UserOut
from api.sessions import auth_settings
from filrouge.services.auth.accounts import AccountService
from filrouge.services.auth.activation import ActivationSent, Onboarding
from filrouge.services.auth.audit import credential_actions
from filrouge.settings import AuthSettings

router = APIRouter(prefix="/admin", tags=["administration"])
Settings = Annotated[AuthSettings, Depends(auth_settings)]


def onboarding(request: Request, settings: Settings) -> Onboarding:
    state = request.app.state
    return Onboarding(state.sessions, settings, state.mailer, state.public_url)


OnboardingDep = Annotated[Onboarding, Depends(onboarding)]


def _activation_out(sent: ActivationSent) -> ActivationOut:
    return ActivationOut(sent=sent.sent, expires_at=sent.expires_at, message=sent.message)


@router.post("/users", response_model=CreatedUserOut, status_code=201)
async def create_user(body: UserIn, admin: CurrentUser, service: OnboardingDep) -> CreatedUserOut:
    """Create a user; they receive by e-mail a one-use link to set their own password."""
    user, sent = await service.create_user(body, admin)
    return CreatedUserOut(user=UserOut.model_validate(user), activation=_activation_out(sent))


@router.post("/users/{user_id}/activation", response_model=ActivationOut)
async def send_activation(
    user_id: str, admin: CurrentUser, service: OnboardingDep
) -> ActivationOut:
    """Mail a new activation link (forgotten password, expired link); older links stop."""
    return _activation_out(await service.resend(user_id, admin))


@router.post("/users/{user_id}/deactivate", response_model=UserOut)
async def deactivate_user(user_id: str, admin: CurrentUser, session: SessionDep) -> Any:
    """Deactivate a user: every token, session and activation link of theirs stops at once."""
    return await AccountService(session).set_active(user_id, False, by=admin)


@router.post("/users/{user_id}/reactivate", response_model=UserOut)
async def reactivate_user(user_id: str, admin: CurrentUser, session: SessionDep) -> Any:
    """Reactivate a user; their old tokens stay revoked (send an activation link if needed)."""
    return await AccountService(session).set_active(user_id, True, by=admin)


@router.get("/users/{user_id}/tokens", response_model=list[TokenInfoOut])
async def list_user_tokens(user_id: str, session: SessionDep) -> Any:
    """A user's personal API tokens, revoked ones included (never the token values)."""
    return await AccountService(session).tokens(user_id)


@router.delete("/users/{user_id}/tokens/{token_id}", status_code=204)
async def revoke_user_token(
    user_id: str, token_id: str, admin: CurrentUser, session: SessionDep
) -> None:
    """Revoke a user's API token; it is refused from the next request on."""
    await AccountService(session).revoke_token(user_id, token_id, by=admin)


@router.get("/audit", response_model=list[AdminAuditOut])
async def admin_audit(
    session: SessionDep,
    user_id: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Any:
    """Credential actions, newest first: who did what to whose account, and when."""
    return await credential_actions(session, user_id, limit, offset)
