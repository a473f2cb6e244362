"""The activation page: the link mailed to a new user opens a form to choose a password."""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated, Any

from fastapi import Form, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from api.errors import Forbidden, Invalid
from api.pages import services
from api.pages.routing import LOGIN_PATH, page_router
from api.pages.templating import render
from api.sessions import auth_settings, check_origin
from filrouge.core.passwords import MAX_LENGTH

router = page_router()
ACTIVATION_PATH = "/activation"
MISSING_TOKEN = (
    "Ce lien d’activation est incomplet : ouvrez le lien reçu par courriel, "
    "ou demandez-en un nouveau à un administrateur."
)
# As on the login form: no session yet, so the form carries a random value that must match
# this cookie (SameSite=Lax); another site cannot post it.
ACTIVATION_CSRF_COOKIE = "filrouge_activation_csrf"
EXPIRED_FORM = (
    "Le formulaire d’activation a expiré ou ne vient pas de Fil rouge : "
    "rouvrez le lien reçu par courriel et recommencez."
)
FormText = Annotated[str, Form()]


def _page(request: Request, token: str, status_code: int = 200, **values: Any) -> HTMLResponse:
    form_token = secrets.token_urlsafe(32)
    context = {
        "token": token,
        "form_token": form_token,
        "password_min_length": auth_settings(request).password_min_length,
        "errors": {},
        "error": None if token else MISSING_TOKEN,
    } | values
    response = render(request, "activation.html", context, status_code=status_code)
    response.set_cookie(
        ACTIVATION_CSRF_COOKIE, form_token, max_age=3600, path=ACTIVATION_PATH,
        secure=auth_settings(request).https, httponly=True, samesite="lax",
    )  # fmt: skip
    return response


@router.get(ACTIVATION_PATH)
async def page_activation_form(request: Request, jeton: str = "") -> HTMLResponse:
    """The form to choose one's password, opened from the activation mail."""
    return _page(request, jeton[:200])


def _field_errors(password: str, confirmation: str) -> dict[str, str]:
    if not password:
        return {"password": "Choisissez un mot de passe."}
    if len(password) > MAX_LENGTH:
        return {"password": f"Au plus {MAX_LENGTH} caractères."}
    if confirmation != password:
        return {"password_confirmation": "Les deux mots de passe saisis sont différents."}
    return {}


@router.post(ACTIVATION_PATH)
async def page_activate(
    request: Request,
    jeton: FormText = "",
    password: FormText = "",
    password_confirmation: FormText = "",
    csrf_token: FormText = "",
) -> Response:
    """Set the password with the link's token, then go to the login page."""
    check_origin(request, auth_settings(request))
    expected = request.cookies.get(ACTIVATION_CSRF_COOKIE, "")
    if not expected or not hmac.compare_digest(expected.encode(), csrf_token.encode()):
        raise Forbidden(EXPIRED_FORM)
    token = jeton[:200]
    if not token:
        return _page(request, token, 422)
    errors = _field_errors(password, password_confirmation)
    if errors:
        return _page(request, token, 422, errors=errors)
    try:
        await services.activate(request, token, password)
    except Invalid as exc:
        if exc.message == services.LINK_INVALID:
            return _page(request, token, 422, error=exc.message)
        return _page(request, token, 422, errors={"password": exc.message})
    done = RedirectResponse(f"{LOGIN_PATH}?active=1", status_code=303)
    done.delete_cookie(ACTIVATION_CSRF_COOKIE, path=ACTIVATION_PATH)
    return done
