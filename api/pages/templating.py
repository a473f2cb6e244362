"""One sandboxed Jinja2 environment for the pages, built once at app start.

Dates and times are shown in French, in the platform's time zone. An htmx request for a
part of a page gets the named block of the same template, never a second template.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, tzinfo
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import FileSystemLoader, StrictUndefined, pass_context
from jinja2.runtime import Context
from jinja2.sandbox import SandboxedEnvironment

from api.deps import CurrentUserInfo
from api.pages.navigation import menu
from api.sessions import CSRF_FIELD
from filrouge.core.local_time import french_date, french_datetime, zone
from filrouge.settings import PagesSettings

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES_DIR = ROOT / "templates" / "pages"
STATIC_DIR = ROOT / "static"

# What the pages may load: only their own files; forms post only to the application.
PAGES_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; frame-ancestors 'none'; "
    "base-uri 'none'; form-action 'self'"
)


def build_environment(
    settings: PagesSettings, directory: Path = TEMPLATES_DIR
) -> SandboxedEnvironment:
    """The pages' environment: sandboxed, autoescaped, strict about undefined names."""
    env = SandboxedEnvironment(
        loader=FileSystemLoader(directory),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    default = settings.time_zone  # for people without a platform (administrators, pilots)

    @pass_context
    def date_fr(context: Context, value: date | datetime | None) -> str:
        return french_date(value, context.get("time_zone") or default)

    @pass_context
    def datetime_fr(context: Context, value: datetime | None) -> str:
        return french_datetime(value, context.get("time_zone") or default)

    env.filters["date_fr"] = date_fr
    env.filters["datetime_fr"] = datetime_fr
    env.globals["service_name"] = "Fil rouge"
    env.globals["default_time_zone"] = default
    return env


def page_zone(request: Request) -> tzinfo:
    """The zone the user's dates are shown and typed in: their platform's (the setting's zone
    without one)."""
    user = getattr(request.state, "user", None)
    name = user.time_zone if isinstance(user, CurrentUserInfo) else None
    env: SandboxedEnvironment = request.app.state.page_templates
    return zone(name or str(env.globals["default_time_zone"]))


def is_htmx(request: Request) -> bool:
    """The request comes from htmx (it wants a fragment, not a whole page)."""
    return request.headers.get("HX-Request") == "true"


def render(
    request: Request,
    name: str,
    context: Mapping[str, Any] | None = None,
    *,
    block: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """The page `name`, or only its `block` when htmx asks for a part of it."""
    env: SandboxedEnvironment = request.app.state.page_templates
    template = env.get_template(name)
    values = {**base_context(request), **(context or {})}
    if block and is_htmx(request):
        html = "".join(template.blocks[block](template.new_context(values)))
    else:
        html = template.render(values)
    headers = {
        "Content-Security-Policy": PAGES_CSP,
        # With "no-referrer" (the API's), browsers send `Origin: null` with a form's POST
        # and the origin check refuses it; "same-origin" leaks nothing to other sites.
        "Referrer-Policy": "same-origin",
        "Vary": "HX-Request",
    }
    return HTMLResponse(html, status_code=status_code, headers=headers)


def base_context(request: Request) -> dict[str, Any]:
    """What the layout needs on every page: the user, their menu and the CSRF token."""
    settings = request.app.state.auth_settings
    user = getattr(request.state, "user", None)
    user = user if isinstance(user, CurrentUserInfo) else None
    return {
        "request": request,
        "user": user,
        "navigation": menu(user.role) if user else [],
        "csrf_token": request.cookies.get(settings.csrf_cookie, ""),
        "csrf_field": CSRF_FIELD,
        # Dates in the zone of the user's platform (the setting's zone without one).
        "time_zone": user.time_zone if user else None,
    }
