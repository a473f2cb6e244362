"""Login and logout pages: the API's password login and session cookies, in a form."""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated, Any

from fastapi import Form, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from api.deps import CurrentUser, SessionDep
from api.errors import Forbidden, TooManyAttempts, Unauthorized, headers_of
from api.pages import services
from api.pages.routing import LOGIN_PATH, page_router, safe_next
from api.pages.templating import render
from api.sessions import auth_settings, check_origin, clear_session_cookies, set_session_cookies
from filrouge.core.passwords import MAX_LENGTH

router = page_router()

# Before login there is no session to hold a CSRF token: the login form carries a random
# value that must match this cookie (SameSite=Lax), so another site cannot post it.
LOGIN_CSRF_COOKIE = "filrouge_login_csrf"
EXPIRED_FORM = (
    "Le formulaire de connexion a expiré ou ne vient pas de Fil rouge : "
    "rechargez la page et recommencez."
)
FormText = Annotated[str, Form()]


def _login_page(request: Request, status_code: int = 200, **values: Any) -> HTMLResponse:
    token = secrets.token_urlsafe(32)
    context = {
        "login_csrf": token,
        "next": "/",
        "email": "",
        "error": None,
        "error_field": None,
        "field_error": None,
        "notice": None,
        "oidc_enabled": request.app.state.oidc_settings.enabled,
    } | values
    response = render(request, "login.html", context, status_code=status_code)
    settings = auth_settings(request)
    response.set_cookie(
        LOGIN_CSRF_COOKIE, token, max_age=3600, path=LOGIN_PATH, secure=settings.https,
        httponly=True, samesite="lax",
    )  # fmt: skip
    return response


@router.get(LOGIN_PATH)
async def page_login_form(
    request: Request, next: str | None = None, deconnecte: bool = False, active: bool = False
) -> HTMLResponse:
    """The login form (and the OpenID Connect button when it is configured)."""
    notice = "Vous êtes déconnecté." if deconnecte else None
    if active:
        notice = "Votre mot de passe est enregistré : connectez-vous."
    return _login_page(request, next=safe_next(next), notice=notice)


@router.post(LOGIN_PATH)
async def page_login(
    request: Request,
    email: FormText = "",
    password: FormText = "",
    csrf_token: FormText = "",
    next: FormText = "/",
) -> Response:
    """Check the form's token, then log in as the API does; errors are shown by their field."""
    check_origin(request, auth_settings(request))
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not hmac.compare_digest(expected.encode(), csrf_token.encode()):
        raise Forbidden(EXPIRED_FORM)
    email, target = email.strip(), safe_next(next)
    again = {"email": email[:320], "next": target}
    if not email or len(email) > 320:
        message = "Saisissez votre adresse électronique." if not email else "Adresse trop longue."
        return _login_page(request, 422, error_field="email", field_error=message, **again)
    if not password or len(password) > MAX_LENGTH:
        message = "Saisissez votre mot de passe." if not password else "Mot de passe trop long."
        return _login_page(request, 422, error_field="password", field_error=message, **again)
    try:
        opened = await services.login(request, email, password)
    except Unauthorized as exc:
        return _login_page(request, 401, error_field="password", field_error=exc.message, **again)
    except TooManyAttempts as exc:
        response = _login_page(request, 429, error=exc.message, **again)
        response.headers.update(headers_of(exc) or {})
        return response
    success = RedirectResponse(target, status_code=303)
    set_session_cookies(success, opened, auth_settings(request))
    success.delete_cookie(LOGIN_CSRF_COOKIE, path=LOGIN_PATH)
    return success


@router.post("/deconnexion")
async def page_logout(request: Request, user: CurrentUser, session: SessionDep) -> Response:
    """Close the session and go back to the login page."""
    await services.logout(request, session, user)
    response = RedirectResponse(f"{LOGIN_PATH}?deconnecte=1", status_code=303)
    clear_session_cookies(response, auth_settings(request))
    return response
