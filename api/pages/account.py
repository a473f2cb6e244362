"""« Mon compte »: change one's password, list and revoke one's API tokens."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Form, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from api.deps import CurrentUser, CurrentUserInfo, SessionDep
from api.errors import Invalid, TooManyAttempts
from api.pages import services
from api.pages.navigation import ROLE_LABELS
from api.pages.routing import page_router
from api.pages.templating import is_htmx, render
from api.sessions import auth_settings
from filrouge.core.passwords import MAX_LENGTH

router = page_router()
ACCOUNT_PATH = "/mon-compte"
FormText = Annotated[str, Form()]


async def _context(
    request: Request, session: SessionDep, user: CurrentUserInfo, **values: Any
) -> dict[str, Any]:
    return {
        "role_label": ROLE_LABELS[user.role],
        "password_min_length": auth_settings(request).password_min_length,
        "tokens": await services.my_tokens(request, session, user),
        "password_errors": {},
        "password_changed": False,
        "token_notice": None,
    } | values


@router.get(ACCOUNT_PATH)
async def page_account(request: Request, user: CurrentUser, session: SessionDep) -> HTMLResponse:
    """The account page."""
    return render(request, "account.html", await _context(request, session, user))


def _missing(current: str, new: str) -> dict[str, str]:
    errors = {}
    if not current:
        errors["current_password"] = "Saisissez votre mot de passe actuel."
    if not new:
        errors["new_password"] = "Saisissez un nouveau mot de passe."
    for field, value in (("current_password", current), ("new_password", new)):
        if len(value) > MAX_LENGTH:
            errors[field] = f"Au plus {MAX_LENGTH} caractères."
    return errors


@router.post(f"{ACCOUNT_PATH}/mot-de-passe")
async def page_change_password(
    request: Request,
    user: CurrentUser,
    session: SessionDep,
    current_password: FormText = "",
    new_password: FormText = "",
) -> HTMLResponse:
    """Change one's password; htmx gets the form back in place, with its errors or success."""
    errors, status = _missing(current_password, new_password), 422
    if not errors:
        try:
            await services.change_password(request, user, current_password, new_password)
            status = 200
        except Invalid as exc:
            field = "current_password" if exc.message == services.WRONG_CURRENT else "new_password"
            errors = {field: exc.message}
        except TooManyAttempts as exc:
            errors, status = {"current_password": exc.message}, 429
    values = {"password_errors": errors, "password_changed": not errors}
    context = await _context(request, session, user, **values)
    return render(request, "account.html", context, block="password_form", status_code=status)


@router.post(f"{ACCOUNT_PATH}/jetons/{{token_id}}/revoquer")
async def page_revoke_token(
    token_id: str, request: Request, user: CurrentUser, session: SessionDep
) -> Response:
    """Revoke one of one's tokens; htmx gets the updated list in place."""
    await services.revoke_my_token(request, session, user, token_id)
    if not is_htmx(request):
        return RedirectResponse(ACCOUNT_PATH, status_code=303)
    context = await _context(request, session, user, token_notice="Le jeton a été révoqué.")
    return render(request, "account.html", context, block="tokens")
