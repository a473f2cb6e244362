"""Page routes: their router, the login redirect and the HTML answers to errors.

A page route is marked by its route class, so an error raised on a page (by the app-wide
role check or by a service) answers a page, while the API's routes keep their JSON answers.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import RedirectResponse
from fastapi.routing import APIRoute

from api.pages.templating import is_htmx, render

LOGIN_PATH = "/connexion"
HOME_PATH = "/"

ERROR_HEADINGS = {
    403: "Accès refusé",
    404: "Page introuvable",
    409: "Action impossible",
    413: "Envoi trop volumineux",
    422: "Données invalides",
    429: "Trop de tentatives",
    503: "Service momentanément indisponible",
}
DEFAULT_MESSAGES = {
    404: "Cette page n’existe pas, ou vous n’y avez pas accès.",
    405: "Cette adresse ne s’utilise pas ainsi.",
    413: "Le contenu envoyé est trop volumineux.",
}

Handler = Callable[[Request, Exception], Awaitable[Response]]


class PageRoute(APIRoute):
    """A route answering HTML for people, not JSON."""


def page_router() -> APIRouter:
    """A router for pages: HTML answers, left out of the OpenAPI document."""
    return APIRouter(route_class=PageRoute, include_in_schema=False)


def is_page(request: Request) -> bool:
    return isinstance(request.scope.get("route"), PageRoute)


def safe_next(value: str | None) -> str:
    """A local path to go back to after login; anything else (another site) goes home."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return HOME_PATH
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return HOME_PATH
    return value


def login_redirect(request: Request) -> Response:
    """Send the browser to the login page, with the page it wanted as `next`."""
    wanted = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if is_htmx(request):  # a part of a page: htmx reloads the whole page on login
        current = urlsplit(request.headers.get("HX-Current-URL", ""))
        wanted = current.path + (f"?{current.query}" if current.query else "")
    target = f"{LOGIN_PATH}?next={quote(safe_next(wanted), safe='/')}"
    if is_htmx(request):
        return Response(status_code=200, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


def error_page(request: Request, status_code: int, message: str | None) -> Response:
    """The HTML answer for an error on a page."""
    heading = ERROR_HEADINGS.get(status_code, "Une erreur est survenue")
    text = message or DEFAULT_MESSAGES.get(status_code, "La demande n’a pas pu aboutir.")
    context = {"heading": heading, "message": text}
    return render(request, "error.html", context, status_code=status_code)


def _for_pages(handler: Handler) -> Handler:
    async def handle(request: Request, exc: Exception) -> Response:
        response = await handler(request, exc)
        if not is_page(request):
            return response
        if response.status_code == 401:
            return login_redirect(request)
        return error_page(request, response.status_code, getattr(exc, "message", None))

    return handle


def install_page_errors(app: FastAPI) -> None:
    """Wrap the app's error handlers: on a page, a 401 goes to the login page and any other
    error answers an HTML page with the same status; other routes keep their JSON."""
    handlers: dict[Any, Handler] = app.exception_handlers  # type: ignore[assignment]
    for key, handler in list(handlers.items()):
        if isinstance(key, type):
            handlers[key] = _for_pages(handler)
