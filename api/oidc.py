"""Optional OpenID Connect login with a Région's identity provider (authorization code flow
with PKCE, state and nonce, through authlib). It opens the same session cookie as a password
login, for an existing active user with the same e-mail: nobody is created by it."""

from __future__ import annotations

import hmac
import logging
import warnings
from datetime import timedelta
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

from api.errors import Forbidden, NotFound, Unauthorized, Unavailable
from api.sessions import auth_settings, digest, open_session, set_session_cookies
from filrouge.core.clock import utcnow
from filrouge.settings import AuthSettings, OidcSettings
from filrouge.store.auth_repository import AuthRepository
from filrouge.store.engine import transaction
from filrouge.store.models import OidcLoginFlow, User

log = logging.getLogger(__name__)
router = APIRouter(prefix="/auth/oidc", tags=["authentification"])
FLOW_COOKIE = "filrouge_oidc_state"
FLOW_LIFETIME = timedelta(minutes=10)
REDIRECT: dict[int | str, dict[str, Any]] = {302: {"description": "Redirection du navigateur."}}
BAD_STATE = "Connexion expirée ou invalide : recommencez la connexion."


def oidc_settings(request: Request) -> OidcSettings:
    return request.app.state.oidc_settings  # type: ignore[no-any-return]


Oidc = Annotated[OidcSettings, Depends(oidc_settings)]
Auth = Annotated[AuthSettings, Depends(auth_settings)]


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
            client_kwargs={"scope": settings.scopes, "code_challenge_method": "S256"},
        )
        request.app.state.oidc_client = client
    return client  # type: ignore[no-any-return]


Client = Annotated[StarletteOAuth2App, Depends(oidc_client)]


@router.get("/login", status_code=302, response_class=RedirectResponse, responses=REDIRECT)
async def oidc_login(request: Request, client: Client, settings: Oidc, auth: Auth) -> Any:
    """Send the browser to the Région's identity provider."""
    redirect_url = settings.redirect_url or str(request.url_for("oidc_callback"))
    try:
        start = await client.create_authorization_url(redirect_url)
    except httpx.HTTPError as exc:
        raise _unreachable(exc) from None
    now = utcnow()
    async with transaction(request.app.state.sessions) as session:
        repo = AuthRepository(session)
        await repo.purge_oidc_flows(now - FLOW_LIFETIME)
        flow = OidcLoginFlow(
            state_hash=digest(start["state"]),
            nonce=start["nonce"],
            code_verifier=start["code_verifier"],
            redirect_url=redirect_url,
            created_at=now,
        )
        await repo.add(flow)
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
    code: str | None = None,
    state: str | None = None,
    error: str | None = None,
) -> Any:
    """The provider sends the browser back here: check the state, exchange the code,
    validate the ID token, then open a session for the matching user."""
    if error:
        raise Unauthorized("Connexion refusée par le fournisseur d'identité.")
    flow = await _take_flow(request, state)
    claims = await _id_token_claims(client, settings, flow, code)
    async with transaction(request.app.state.sessions) as session:
        user = await _user_for(AuthRepository(session), settings, claims)
        opened = await open_session(session, auth, user, "oidc")
    response = RedirectResponse(settings.post_login_url, status_code=302)
    set_session_cookies(response, opened, auth)
    response.delete_cookie(FLOW_COOKIE, path="/auth/oidc", secure=auth.https, httponly=True)
    return response


async def _take_flow(request: Request, state: str | None) -> OidcLoginFlow:
    """The login this browser started (its state cookie), used once and not expired."""
    cookie = request.cookies.get(FLOW_COOKIE, "")
    if not state or not cookie or not hmac.compare_digest(cookie, state):
        raise Unauthorized(BAD_STATE)
    async with transaction(request.app.state.sessions) as session:
        flow = await AuthRepository(session).take_oidc_flow(digest(state))
    if flow is None or flow.created_at < utcnow() - FLOW_LIFETIME:
        raise Unauthorized(BAD_STATE)
    return flow


async def _id_token_claims(
    client: StarletteOAuth2App, settings: OidcSettings, flow: OidcLoginFlow, code: str | None
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


async def _user_for(repo: AuthRepository, settings: OidcSettings, claims: dict[str, Any]) -> User:
    """The one active user with the identity's e-mail (verified, of an allowed domain)."""
    email = claims.get(settings.email_claim)
    refused = Forbidden(
        "Aucun compte actif de Fil rouge ne correspond à cette identité : "
        "demandez à un administrateur d'ouvrir le vôtre."
    )
    if not isinstance(email, str) or "@" not in email:
        raise refused
    if settings.require_verified_email and claims.get("email_verified") is not True:
        raise Forbidden("Adresse électronique non vérifiée par le fournisseur d'identité.")
    domains = settings.domains()
    if domains and email.rsplit("@", 1)[1].lower() not in domains:
        raise refused
    users = await repo.active_users_by_email(email)
    if len(users) != 1:  # none, or ambiguous: never guess whose account it is
        raise refused
    return users[0]


def _unreachable(exc: Exception) -> Unavailable:
    log.warning("OIDC provider unreachable: %s", type(exc).__name__)
    return Unavailable(
        "Le fournisseur d'identité de la Région ne répond pas : réessayez plus tard."
    )
