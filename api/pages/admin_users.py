"""« Administration »: users (creation with an activation mail, deactivation, a new link) and
the journal of credential actions, through the same services as `api/admin_accounts.py`.

No page here shows or sets anybody's password or token: a new user chooses their password
from the link mailed to them.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.admin_accounts import onboarding
from api.deps import CurrentUser, SessionDep
from api.errors import Conflict, Invalid, NotFound
from api.pages.admin import ADMIN_PATH, platform_choices
from api.pages.admin_journal import journal_rows
from api.pages.forms import checked, page_number, refusal, values
from api.pages.navigation import ROLE_LABELS
from api.pages.routing import page_router
from api.pages.templating import is_htmx, render
from api.schemas import UserIn
from api.sessions import auth_settings
from filrouge.core.domain import Role
from filrouge.services.auth.accounts import AccountService
from filrouge.services.reference.admin import ReferenceService

router = page_router()
USERS_PATH = f"{ADMIN_PATH}/utilisateurs"
USER_JOURNAL = 20  # the latest actions shown on an account's page
USERS_PAGE = 50  # accounts per page of the list, by name
USER_FIELDS = ("display_name", "email", "role", "platform_id", "structure_id", "region")


async def _users_page(
    request: Request, session: SessionDep, status: int = 200, **context: Any
) -> HTMLResponse:
    service = ReferenceService(session)
    platforms = await service.platforms()
    structures = await service.structures()
    grouped = [
        (p.name, [(s.id, s.name) for s in structures if s.platform_id == p.id]) for p in platforms
    ]
    selected = request.query_params.get("plateforme", "")[:40]
    page = page_number(request.query_params.get("page", ""))
    users, more = await service.users_page(selected or None, page, USERS_PAGE)
    base = platform_choices(platforms) | {
        "users": users,
        "page": page,
        "more": more,
        "selected": selected,
        # The list with its filter (for the pager), and where an action on a row comes back
        # to: the same filter and page.
        "listed": USERS_PATH + _query({"plateforme": selected}),
        "back": _query({"plateforme": selected, "page": str(page) if page > 1 else ""}),
        "structure_options": [(group, items) for group, items in grouped if items],
        "role_options": [(r.value, ROLE_LABELS[r].capitalize()) for r in Role],
        "role_labels": {r.value: ROLE_LABELS[r] for r in Role},
        "form": {},
        "errors": {},
        "notice": await _created_notice(request, service),
        "block_notice": None,
    }
    values_ = base | context
    block = "users" if context.get("block_notice") else None
    return render(request, "admin_users.html", values_, block=block, status_code=status)


@router.get(USERS_PATH)
async def page_admin_users(
    request: Request, user: CurrentUser, session: SessionDep
) -> HTMLResponse:
    """Every account, its state and actions, and the form to create one."""
    return await _users_page(request, session)


@router.post(USERS_PATH)
async def page_create_user(request: Request, user: CurrentUser, session: SessionDep) -> Response:
    """Create a user: they receive by e-mail the link to choose their own password."""
    form = values(await request.form(), USER_FIELDS)
    body, errors = checked(UserIn, form)
    if body is not None:
        try:
            service = onboarding(request, auth_settings(request))
            created, sent = await service.create_user(body, user)
        except (Conflict, Invalid, NotFound) as exc:
            errors = refusal(exc, USER_FIELDS)
        else:  # to the list, so that reloading the page never creates the account twice
            sent_flag = "1" if sent.sent else "0"
            target = f"{USERS_PATH}?{urlencode({'cree': created.id, 'envoye': sent_flag})}"
            return RedirectResponse(target, status_code=303)
    return await _users_page(request, session, 422, form=form, errors=errors)


def _query(params: dict[str, str]) -> str:
    kept = {k: v for k, v in params.items() if v}
    return f"?{urlencode(kept)}" if kept else ""


async def _created_notice(request: Request, service: ReferenceService) -> str | None:
    """The notice after a creation (the list's address names the new account's id only; the
    account may be on another page of the list)."""
    user_id = request.query_params.get("cree", "")[:40]
    names = await service.user_names([user_id]) if user_id else {}
    if user_id not in names:
        return None
    if request.query_params.get("envoye") == "1":
        mail = "Un lien d’activation lui a été envoyé par courriel pour choisir son mot de passe."
    else:
        mail = "Le courriel d’activation n’a pas pu partir : renvoyez-lui un lien plus tard."
    return f"Le compte de {names[user_id]} est créé. {mail}"


async def _after_action(
    request: Request, session: SessionDep, notice: str, status: int = 200
) -> Response:
    if not is_htmx(request):
        return await _users_page(request, session, status, notice=notice)
    return await _users_page(request, session, status, block_notice=notice)


async def _name(session: SessionDep, user_id: str) -> str:
    return (await ReferenceService(session).user(user_id)).display_name


@router.post(f"{USERS_PATH}/{{user_id}}/desactiver")
async def page_deactivate_user(
    user_id: str, request: Request, user: CurrentUser, session: SessionDep
) -> Response:
    """Deactivate an account: its tokens, sessions and activation links stop at once."""
    name = await _name(session, user_id)
    try:
        await AccountService(session).set_active(user_id, False, by=user)
    except Conflict as exc:
        return await _after_action(request, session, exc.message, 409)
    notice = f"Le compte de {name} est désactivé : ses jetons, sessions et liens sont révoqués."
    return await _after_action(request, session, notice)


@router.post(f"{USERS_PATH}/{{user_id}}/reactiver")
async def page_reactivate_user(
    user_id: str, request: Request, user: CurrentUser, session: SessionDep
) -> Response:
    """Reactivate an account; its old tokens stay revoked."""
    name = await _name(session, user_id)
    await AccountService(session).set_active(user_id, True, by=user)
    notice = f"Le compte de {name} est réactivé. Envoyez-lui un lien d’activation au besoin."
    return await _after_action(request, session, notice)


@router.post(f"{USERS_PATH}/{{user_id}}/lien")
async def page_send_activation(
    user_id: str, request: Request, user: CurrentUser, session: SessionDep
) -> Response:
    """Mail a new activation link (forgotten password, expired link); older links stop."""
    name = await _name(session, user_id)
    try:
        sent = await onboarding(request, auth_settings(request)).resend(user_id, user)
    except Conflict as exc:
        return await _after_action(request, session, exc.message, 409)
    return await _after_action(request, session, f"{name} : {sent.message}")


# ---------------------------------------------------------------- one account


async def _user_page(
    request: Request, session: SessionDep, user_id: str, notice: str | None = None
) -> HTMLResponse:
    service = ReferenceService(session)
    person = await service.user(user_id)
    platform = await service.platform(person.platform_id) if person.platform_id else None
    tokens = sorted(
        await AccountService(session).tokens(user_id), key=lambda t: t.created_at, reverse=True
    )
    context = {
        "person": person,
        "role_label": ROLE_LABELS[Role(person.role)],
        "platform_name": platform.name if platform else None,
        "tokens": tokens,
        "token_notice": notice,
        "rows": await journal_rows(session, user_id, USER_JOURNAL),
    }
    return render(request, "admin_user.html", context, block="tokens" if notice else None)


@router.get(f"{USERS_PATH}/{{user_id}}")
async def page_admin_user(
    user_id: str, request: Request, user: CurrentUser, session: SessionDep
) -> HTMLResponse:
    """One account: who, its API tokens (never their values) and what was done to it."""
    return await _user_page(request, session, user_id)


@router.post(f"{USERS_PATH}/{{user_id}}/jetons/{{token_id}}/revoquer")
async def page_revoke_user_token(
    user_id: str, token_id: str, request: Request, user: CurrentUser, session: SessionDep
) -> Response:
    """Revoke one of the account's API tokens; refused from its next request on."""
    await AccountService(session).revoke_token(user_id, token_id, by=user)
    if not is_htmx(request):
        return RedirectResponse(f"{USERS_PATH}/{user_id}", status_code=303)
    return await _user_page(request, session, user_id, "Le jeton est révoqué.")
