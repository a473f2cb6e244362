"""Which roles may call each endpoint (which cases each may see: filrouge.services.access)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated

from fastapi import Header, Request
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute

from api.deps import authenticate
from api.errors import Forbidden
from filrouge.core.cases.registry import endpoint_roles as step_endpoint_roles
from filrouge.core.domain import Role

STAFF = frozenset({Role.REFERENT, Role.COORDINATEUR})
ADMIN = frozenset({Role.ADMIN})
PUBLIC: frozenset[Role] = frozenset()
EVERYONE = frozenset(Role)

# Every endpoint of the API, by its function name. A route missing here is refused to
# everyone, and the access-matrix test fails until it is listed.
ENDPOINT_ROLES: dict[str, frozenset[Role]] = {
    "health": PUBLIC,
    "login": PUBLIC,
    "activate_account": PUBLIC,
    "oidc_login": PUBLIC,
    "oidc_callback": PUBLIC,
    "logout": EVERYONE,
    "me": EVERYONE,
    "change_password": EVERYONE,
    "list_my_tokens": EVERYONE,
    "create_my_token": EVERYONE,
    "revoke_my_token": EVERYONE,
    "upload_import": frozenset({Role.COORDINATEUR}),
    "get_import": frozenset({Role.COORDINATEUR}),
    "import_report": frozenset({Role.COORDINATEUR}),
    "import_rejected_csv": frozenset({Role.COORDINATEUR}),
    "create_referral": STAFF | {Role.PARTENAIRE},
    "list_duplicates": frozenset({Role.COORDINATEUR}),
    "list_crossings": frozenset({Role.COORDINATEUR}),
    "merge_duplicate": frozenset({Role.COORDINATEUR}),
    "keep_duplicate_apart": frozenset({Role.COORDINATEUR}),
    "assign_many": frozenset({Role.COORDINATEUR}),
    "create_case": STAFF | {Role.PARTENAIRE},
    "list_cases": STAFF,
    "get_case": STAFF,
    "case_history": STAFF,
    "verify_history": STAFF,
    "platform_access_log": frozenset({Role.COORDINATEUR}),
    "case_access_log": frozenset({Role.COORDINATEUR}),
    # The human steps' routes: their roles come from the step declarations.
    **step_endpoint_roles(),
    "list_undelivered_mails": frozenset({Role.COORDINATEUR}),
    "retry_mail": frozenset({Role.COORDINATEUR}),
    "add_note": STAFF,
    "list_notes": STAFF,
    "indicators": frozenset({Role.PILOTE, Role.COORDINATEUR}),
    "export_case": frozenset({Role.COORDINATEUR}),
    "export_case_html": frozenset({Role.COORDINATEUR}),
    "rectify_person": STAFF,
    "erase_on_request": frozenset({Role.COORDINATEUR}),
    "create_platform": ADMIN,
    "list_platforms": ADMIN,
    "set_policy": ADMIN,
    "set_territory": ADMIN,
    "set_time_zone": ADMIN,
    "create_structure": ADMIN,
    "list_structures": ADMIN,
    "create_user": ADMIN,
    "list_users": ADMIN,
    "send_activation": ADMIN,
    "admin_audit": ADMIN,
    "deactivate_user": ADMIN,
    "reactivate_user": ADMIN,
    "list_user_tokens": ADMIN,
    "revoke_user_token": ADMIN,
    "encode": ADMIN,
    "decode": ADMIN,
    # The pages (api/pages/): HTML for people, same sessions and rules as the API.
    "page_login_form": PUBLIC,
    "page_login": PUBLIC,
    "page_activation_form": PUBLIC,
    "page_activate": PUBLIC,
    "page_logout": EVERYONE,
    "page_home": EVERYONE,
    "page_account": EVERYONE,
    "page_change_password": EVERYONE,
    "page_revoke_token": EVERYONE,
    "page_my_cases": frozenset({Role.REFERENT}),
    "page_search_my_cases": frozenset({Role.REFERENT}),
    "page_platform": frozenset({Role.COORDINATEUR}),
    "page_platform_cases": frozenset({Role.COORDINATEUR}),
    "page_reassign_cases": frozenset({Role.COORDINATEUR}),
    "page_imports": frozenset({Role.COORDINATEUR}),
    "page_upload_import": frozenset({Role.COORDINATEUR}),
    "page_import": frozenset({Role.COORDINATEUR}),
    "page_import_rejected": frozenset({Role.COORDINATEUR}),
    "page_duplicates": frozenset({Role.COORDINATEUR}),
    "page_merge_duplicate": frozenset({Role.COORDINATEUR}),
    "page_keep_duplicate_apart": frozenset({Role.COORDINATEUR}),
    "page_access_log": frozenset({Role.COORDINATEUR}),
    "page_decisions": frozenset({Role.COORDINATEUR}),
    "page_decide": frozenset({Role.COORDINATEUR}),
    "page_indicators": frozenset({Role.PILOTE}),
    "page_referrals": frozenset({Role.PARTENAIRE}),
    "page_refer": frozenset({Role.PARTENAIRE}),
    "page_admin": ADMIN,
    "page_case": STAFF,
    "page_case_step": STAFF,
    "page_case_note": STAFF,
    "page_case_rectify": STAFF,
    "page_case_export": frozenset({Role.COORDINATEUR}),
    "page_admin_platforms": ADMIN,
    "page_create_platform": ADMIN,
    "page_admin_platform": ADMIN,
    "page_set_territory": ADMIN,
    "page_set_policy": ADMIN,
    "page_set_time_zone": ADMIN,
    "page_admin_structures": ADMIN,
    "page_create_structure": ADMIN,
    "page_admin_users": ADMIN,
    "page_create_user": ADMIN,
    "page_deactivate_user": ADMIN,
    "page_reactivate_user": ADMIN,
    "page_send_activation": ADMIN,
    "page_admin_journal": ADMIN,
    "page_admin_user": ADMIN,
    "page_revoke_user_token": ADMIN,
}


def endpoint_names(routes: Iterable[BaseRoute]) -> list[str]:
    """Names of all API endpoints, including those of included routers."""
    names: list[str] = []
    for route in routes:
        if isinstance(route, APIRoute):
            names.append(route.name)
        elif hasattr(route, "original_router"):
            names += endpoint_names(route.original_router.routes)
    return names


def endpoint_name(request: Request) -> str:
    route = request.scope.get("route")
    return route.name if isinstance(route, APIRoute) else ""


async def enforce_endpoint_roles(
    request: Request, authorization: Annotated[str | None, Header()] = None
) -> None:
    """App-wide dependency: authenticate, then check the role against ENDPOINT_ROLES."""
    allowed = ENDPOINT_ROLES.get(endpoint_name(request))
    if allowed is PUBLIC:
        return
    user = await authenticate(request, authorization)
    if allowed is None or user.role not in allowed:
        raise Forbidden("Cette action n'est pas autorisée pour votre rôle.")
