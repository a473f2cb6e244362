"""Plug the pages into the application: static assets, the template environment, the routes
and the HTML answers to errors on pages."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from api.pages import (
    account,
    activation,
    admin,
    admin_journal,
    admin_users,
    case_page,
    cases,
    decisions,
    duplicates,
    home,
    imports,
    indicators,
    journal,
    login,
    platform,
    referrals,
)
from api.pages.routing import install_page_errors
from api.pages.templating import STATIC_DIR, build_environment
from filrouge.settings import PagesSettings


class StaticAssets(StaticFiles):
    """The pinned front-end assets (static/vendor/), cacheable by the browser for a day."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        if response.status_code == 200:
            response.headers["Cache-Control"] = "public, max-age=86400"
        return response


def install_pages(app: FastAPI, settings: PagesSettings | None = None) -> None:
    """Serve `static/` and the pages; call after the API's error handlers are installed."""
    app.state.page_templates = build_environment(settings or PagesSettings())
    app.mount("/static", StaticAssets(directory=STATIC_DIR), name="static")
    for module in (
        login,
        activation,
        account,
        cases,
        case_page,
        home,
        indicators,
        platform,
        imports,
        duplicates,
        admin,
        admin_users,
        admin_journal,
        journal,
        decisions,
        referrals,
    ):
        app.include_router(module.router)
    install_page_errors(app)
