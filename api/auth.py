"""Authentication endpoints: password login to a session cookie, logout, the caller, account
activation, their own password and their own personal API tokens."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response

from api.admin_accounts import OnboardingDep
from api.auth_schemas import (
    ActivationIn,
    LoginIn,
    MeOut,
    PasswordChangeIn,
    SessionOut,
    TokenCreateIn,
    TokenInfoOut,
)
from api.deps import CurrentUser, SessionDep
from api.errors import ErrorOut
from api.schemas import TokenOut, UserOut
from api.sessions import auth_settings, check_origin, clear_session_cookies, set_session_cookies
from filrouge.services.auth.accounts import AccountService
from filrouge.services.auth.passwords import AuthService
from filrouge.settings import AuthSettings

router = APIRouter(prefix="/auth", tags=["authentification"])
Settings = Annotated[AuthSettings, Depends(auth_settings)]

THROTTLED: dict[int | str, dict[str, Any]] = {
    429: {
        "model": ErrorOut,
        "description": "Trop de tentatives infructueuses : réessayez après `Retry-After` secondes.",
    }
}


def client_ip(request: Request) -> str:
    """The client's address (behind a proxy, as uvicorn's --forwarded-allow-ips sets it)."""
    return request.client.host if request.client else "inconnue"


def auth_service(request: Request, settings: Settings) -> AuthService:
    return AuthService(request.app.state.sessions, settings)


Service = Annotated[AuthService, Depends(auth_service)]


@router.post("/login", response_model=SessionOut, responses=THROTTLED)
async def login(
    body: LoginIn, request: Request, response: Response, service: Service, settings: Settings
) -> SessionOut:
    """Open a browser session: sets the session cookie (HttpOnly) and the CSRF cookie."""
    check_origin(request, settings)
    user, opened = await service.login(body.email, body.password, client_ip(request))
    set_session_cookies(response, opened, settings)
    return SessionOut(
        user=UserOut.model_validate(user),
        csrf_token=opened.csrf_token,
        expires_at=opened.expires_at,
    )


@router.post("/logout", status_code=204)
async def logout(
    user: CurrentUser, session: SessionDep, response: Response, settings: Settings
) -> None:
    """Close the current session (a call with a personal token changes nothing)."""
    if user.session_id:
        await AccountService(session).end_session(user.session_id)
    clear_session_cookies(response, settings)


@router.get("/me", response_model=MeOut)
async def me(user: CurrentUser, session: SessionDep) -> MeOut:
    """Who is calling, and how they are authenticated."""
    profile = await AccountService(session).profile(user, user.session_id)
    return MeOut(
        user=UserOut.model_validate(profile.user),
        authenticated_by="session" if user.session_id else "jeton",
        session_expires_at=profile.session_expires_at,
    )


@router.post("/activation", status_code=204)
async def activate_account(body: ActivationIn, request: Request, service: OnboardingDep) -> None:
    """Set one's own password with the token of the activation link received by e-mail
    (one use; the link expires). Then log in with `POST /auth/login`."""
    check_origin(request, service.settings)
    await service.activate(body.token, body.password)


@router.put("/password", status_code=204, responses=THROTTLED)
async def change_password(
    body: PasswordChangeIn, user: CurrentUser, request: Request, service: Service
) -> None:
    """Change one's own password (the current one is required); other sessions are closed."""
    await service.change_password(
        user, body.current_password, body.new_password, client_ip(request), user.session_id
    )


@router.get("/tokens", response_model=list[TokenInfoOut])
async def list_my_tokens(user: CurrentUser, session: SessionDep) -> Any:
    """One's own personal API tokens (never the token values)."""
    return await AccountService(session).tokens(user.id)


@router.post("/tokens", response_model=TokenOut, status_code=201)
async def create_my_token(body: TokenCreateIn, user: CurrentUser, session: SessionDep) -> TokenOut:
    """Create a personal API token for oneself (scripts, the CLI); shown only once."""
    issued = await AccountService(session).create_own_token(user, body.label)
    return TokenOut(token_id=issued.token_id, user_id=issued.user_id, token=issued.token)


@router.delete("/tokens/{token_id}", status_code=204)
async def revoke_my_token(token_id: str, user: CurrentUser, session: SessionDep) -> None:
    """Revoke one of one's own tokens; it is refused from the next request on."""
    await AccountService(session).revoke_token(user.id, token_id, by=user)
