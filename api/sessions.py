"""Browser sessions over HTTP: the session and CSRF cookies, and the checks of a write.

Writes authenticated by the session cookie must carry the session's CSRF token in
`X-CSRF-Token`, or in the `csrf_token` field of a page's HTML form (and, when the browser
sends one, an allowed `Origin`). The sessions themselves are `filrouge.services.auth.sessions`.
"""

from __future__ import annotations

import hmac

from fastapi import Request, Response

from api.errors import Forbidden
from filrouge.services.auth.hashing import digest
from filrouge.services.auth.sessions import LiveSession, OpenedSession
from filrouge.settings import AuthSettings

__all__ = ["OpenedSession", "digest"]  # where the pages and tests expect them

CSRF_HEADER = "X-CSRF-Token"
# A plain HTML form of the pages (no script to set a header) sends it in this field.
CSRF_FIELD = "csrf_token"
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def auth_settings(request: Request) -> AuthSettings:
    return request.app.state.auth_settings  # type: ignore[no-any-return]


def check_origin(request: Request, settings: AuthSettings) -> None:
    """A browser's `Origin`, when sent, must be the API's own or an allowed one."""
    origin = request.headers.get("origin")
    if origin is None:
        return
    own = f"{request.url.scheme}://{request.url.netloc}"
    if origin.rstrip("/") not in {own, *settings.origins()}:
        raise Forbidden("Origine de la requête non autorisée.")


async def sent_csrf_token(request: Request) -> str:
    """The CSRF token a write carries: the `X-CSRF-Token` header or, from a form, its field."""
    sent = request.headers.get(CSRF_HEADER)
    content_type = request.headers.get("content-type", "")
    if sent or request.method in SAFE_METHODS or not content_type.startswith(FORM_TYPES):
        return sent or ""
    value = (await request.form()).get(CSRF_FIELD)
    return value if isinstance(value, str) else ""


def check_csrf(request: Request, row: LiveSession, settings: AuthSettings, sent: str) -> None:
    """Cookie-authenticated writes carry the session's CSRF token and an allowed origin."""
    if request.method in SAFE_METHODS:
        return
    check_origin(request, settings)
    if not sent or not hmac.compare_digest(digest(sent), row.csrf_hash):
        raise Forbidden(
            "Jeton CSRF absent ou invalide : renvoyez dans l'en-tête X-CSRF-Token "
            f"la valeur du cookie {settings.csrf_cookie} reçue à la connexion."
        )


def set_session_cookies(response: Response, opened: OpenedSession, settings: AuthSettings) -> None:
    """The session cookie (HttpOnly) and the CSRF cookie (readable by the page's script)."""
    max_age = int(settings.session_lifetime.total_seconds())
    common = {"max_age": max_age, "path": "/", "secure": settings.https, "samesite": "lax"}
    response.set_cookie(settings.session_cookie, opened.token, httponly=True, **common)  # type: ignore[arg-type]
    response.set_cookie(settings.csrf_cookie, opened.csrf_token, httponly=False, **common)  # type: ignore[arg-type]


def clear_session_cookies(response: Response, settings: AuthSettings) -> None:
    for name, httponly in ((settings.session_cookie, True), (settings.csrf_cookie, False)):
        response.delete_cookie(
            name, path="/", secure=settings.https, httponly=httponly, samesite="lax"
        )
