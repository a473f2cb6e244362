"""Optional OpenID Connect login with a Région's identity provider (authorization code flow
with PKCE, state and nonce, through authlib). It opens the same session cookie as a password
login, for an existing active user with the same e-mail (`filrouge.services.auth.oidc`):
nobody is created by it. Here: the provider's client, the browser's redirects and cookies."""

from __future__ import annotations

import hmac
import logging
import warnings
from typing import Annotated, Any

import httpx
from authlib.common.errors import AuthlibBaseError
from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse
from joserfc.errors import JoseError

with warnings.catch_warnings():
    # authlib 1.9 prefers its httpx2 fork and warns when it uses httpx, which we pin.
    # (Importing authlib.deprecate first: it installs an "always" filter ahead of ours.)
    import authlib.deprecate  # noqa: F401

    warnings.filterwarnings("ignore", message="The httpx module is deprecated")
    from authlib.integrations.starlette_client import OAuth, StarletteOAuth2App

from api.errors import NotFound, Unauthorized, Unavailable
from api.sessions import auth_settings, set_session_cookies
from filrouge.services.auth.oidc import BAD_STATE, FLOW_LIFETIME, OidcFlow, OidcLogins
from filrouge.settings import AuthSettings, OidcSettings

log = logging.getLogger(__name__)
router = APIRouter(prefix="/auth/oidc", tags=["authentification"])
FLOW_COOKIE = "filrouge_oidc_state"
REDIRECT: dict[int | str, dict[str, Any]] = {302: {"description": "Redirection du navigateur."}}


def oidc_settings(request: Request) -> OidcSettings:
    return request.app.state.oidc_settings  # type: ignore[no-any-return]


Oidc = Annotated[OidcSettings, Depends(oidc_settings)]
Auth = Annotated[AuthSettings, Depends(auth_settings)]


def oidc_logins(request: Request, settings: Oidc, auth: Auth) -> OidcLogins:
    return OidcLogins(request.app.state.sessions, settings, auth)


Logins = Annotated[OidcLogins, Depends(oidc_logins)]


def oidc_client(request: Request, settings: Oidc) -> StarletteOAuth2App:
    """The provider's client, built once per app (authlib caches discovery and keys in it)."""
    if not settings.enabled:
        raise NotFound("La connexion par le fournisseur d'identité de la Région n'est pas activée.")
    client = getattr(request.app.state, "oidc_client", None)
    if client is None:
        oauth = OAuth()
        client = oauth.register(
            "region",
            client_id=settings.client_id,
            client_secret=settings.client_secret or None,
            server_metadata_url=settings.discovery_url,
            client_kwargs={
                "scope": settings.scopes,
                "code_challenge_method": "S256",
                # authlib makes an HTTP client per call to the provider: they share one TLS
                # context, httpx's default (same trust), where each loaded it again (~50 ms).
                "verify": httpx.create_ssl_context(),
            },
        )
        request.app.state.oidc_client = client
    return client  # type: ignore[no-any-return]


Client = Annotated[StarletteOAuth2App, Depends(oidc_client)]


@router.get("/login", status_code=302, response_class=RedirectResponse, responses=REDIRECT)
async def oidc_login(
    request: Request, client: Client, settings: Oidc, auth: Auth, logins: Logins
) -> Any:
    """Send the browser to the Région's identity provider."""
    redirect_url = settings.redirect_url or str(request.url_for("oidc_callback"))
    try:
        start = await client.create_authorization_url(redirect_url)
    except httpx.HTTPError as exc:
        raise _unreachable(exc) from None
    await logins.begin(
        start["state"], OidcFlow(start["nonce"], start["code_verifier"], redirect_url)
    )
    response = RedirectResponse(start["url"], status_code=302)
    response.set_cookie(
        FLOW_COOKIE,
        start["state"],
        max_age=int(FLOW_LIFETIME.total_seconds()),
        path="/auth/oidc",
        secure=auth.https,
        httponly=True,
        samesite="lax",
    )
    return response


@router.get("/callback", status_code=302, response_class=RedirectResponse, responses=REDIRECT)
async def oidc_callback(
    request: Request,
    client: Client,
    settings: Oidc,
    auth: Auth,
    logins: Logins,
    code: str | None = None,
    state: str | None = None,
    error: str | None = None,
) -> Any:
    """The provider sends the browser back here: check the state, exchange the code,
    validate the ID token, then open a session for the matching user."""
    if error:
        raise Unauthorized("Connexion refusée par le fournisseur d'identité.")
    flow = await _take_flow(request, logins, state)
    claims = await _id_token_claims(client, settings, flow, code)
    opened = await logins.open_session(claims)
    response = RedirectResponse(settings.post_login_url, status_code=302)
    set_session_cookies(response, opened, auth)
    response.delete_cookie(FLOW_COOKIE, path="/auth/oidc", secure=auth.https, httponly=True)
    return response


async def _take_flow(request: Request, logins: OidcLogins, state: str | None) -> OidcFlow:
    """The login this browser started (its state cookie), used once and not expired."""
    cookie = request.cookies.get(FLOW_COOKIE, "")
    if not state or not cookie or not hmac.compare_digest(cookie, state):
        raise Unauthorized(BAD_STATE)
    return await logins.take(state)


async def _id_token_claims(
    client: StarletteOAuth2App, settings: OidcSettings, flow: OidcFlow, code: str | None
) -> dict[str, Any]:
    """Exchange the code (with the PKCE verifier) and validate the ID token: signature by
    the provider's keys, issuer, audience, expiry and the nonce of this login."""
    if not code:
        raise Unauthorized(BAD_STATE)
    options = {
        "iss": {"essential": True, "value": settings.issuer},
        "aud": {"essential": True, "value": settings.client_id},
    }
    try:
        token = await client.fetch_access_token(
            redirect_uri=flow.redirect_url, code=code, code_verifier=flow.code_verifier
        )
        claims = await client.parse_id_token(token, nonce=flow.nonce, claims_options=options)
    except httpx.HTTPError as exc:
        raise _unreachable(exc) from None
    except (AuthlibBaseError, JoseError, ValueError) as exc:
        log.warning("OIDC login refused: %s", type(exc).__name__)
        raise Unauthorized("Identité refusée : jeton du fournisseur invalide.") from None
    if claims is None:
        raise Unauthorized("Identité refusée : le fournisseur n'a pas envoyé de jeton d'identité.")
    return dict(claims)


def _unreachable(exc: Exception) -> Unavailable:
    log.warning("OIDC provider unreachable: %s", type(exc).__name__)
    return Unavailable(
        "Le fournisseur d'identité de la Région ne répond pas : réessayez plus tard."
    )
