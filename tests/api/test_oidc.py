"""OpenID Connect login against a real provider on loopback (tests/api/oidc_provider.py):
the whole flow, then every way it must fail (state, nonce, audience, signature, user)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from joserfc.jwk import RSAKey
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.testing import WorkflowEnvironment

from filrouge.settings import OidcSettings
from tests.api.auth_helpers import AuthApi, auth_api
from tests.api.oidc_provider import CLIENT_ID, CLIENT_SECRET, Provider, running_provider
from tests.support.http import http_client


@pytest.fixture(scope="module")
async def provider() -> AsyncIterator[Provider]:
    async with running_provider() as provider:
        yield provider


@pytest.fixture(scope="module")
async def oidc(
    dev_env: WorkflowEnvironment,
    database_url: str,
    sessions: async_sessionmaker[AsyncSession],
    provider: Provider,
) -> AsyncIterator[AuthApi]:
    settings = OidcSettings(
        issuer=provider.issuer,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        allowed_domains="region.fr",
    )
    async with auth_api(dev_env, database_url, sessions, oidc=settings) as api:
        yield api


@pytest.fixture(autouse=True)
def _fresh_provider(provider: Provider) -> None:
    provider.overrides.clear()
    provider.signing_key = None


async def _start(browser: httpx.AsyncClient, provider: Provider, identity: dict[str, Any]) -> str:
    """Start a login and let the provider authenticate `identity`: the callback URL."""
    provider.identity = identity
    start = await browser.get("/auth/oidc/login")
    assert start.status_code == 302, start.text
    assert start.headers["location"].startswith(f"{provider.issuer}/authorize?")
    async with http_client() as user_agent:  # real HTTP to the provider
        back = await user_agent.get(start.headers["location"])
    assert back.status_code == 302
    return back.headers["location"]


def _identity(user: dict[str, Any], **claims: Any) -> dict[str, Any]:
    return {"email": user["email"], "email_verified": True} | claims


async def test_oidc_login_opens_a_session_for_the_existing_user(
    oidc: AuthApi, provider: Provider
) -> None:
    user = await oidc.user(password=None)
    async with oidc.browser() as browser:
        callback = await _start(browser, provider, _identity(user, email=user["email"].upper()))
        landed = await browser.get(callback)
        me = await browser.get("/auth/me")

    asked = provider.authorize_requests[-1]
    assert asked["code_challenge_method"] == "S256" and asked["code_challenge"]
    assert asked["nonce"] and asked["state"] and asked["scope"] == "openid email profile"
    assert asked["redirect_uri"] == "http://filrouge.test/auth/oidc/callback"
    # OIDC_POST_LOGIN_URL defaults to the pages' home, which sends each role to its start page.
    assert landed.status_code == 302 and landed.headers["location"] == "/"
    assert "httponly" in landed.headers["set-cookie"].lower()
    assert me.status_code == 200
    assert me.json()["user"]["id"] == user["id"]
    assert me.json()["authenticated_by"] == "session"


async def test_a_callback_is_used_once_and_only_by_the_browser_that_started_it(
    oidc: AuthApi, provider: Provider
) -> None:
    user = await oidc.user(password=None)
    async with oidc.browser() as victim, oidc.browser() as attacker:
        callback = await _start(attacker, provider, _identity(user))
        planted = await victim.get(callback)  # login CSRF: no state cookie in this browser
        forged = await attacker.get(callback.replace("state=", "state=x"))
        first = await attacker.get(callback)
        replayed = await attacker.get(callback)

    assert planted.status_code == forged.status_code == 401
    assert planted.json()["message"] == "Connexion expirée ou invalide : recommencez la connexion."
    assert first.status_code == 302
    assert replayed.status_code == 401


@pytest.mark.parametrize(
    "claims",
    [
        {"nonce": "un-autre-nonce"},
        {"aud": "une-autre-application"},
        {"iss": "https://faux-fournisseur.example"},
        {"exp": 1_600_000_000},
    ],
    ids=["nonce", "audience", "issuer", "expired"],
)
async def test_an_id_token_not_meant_for_this_login_is_refused(
    oidc: AuthApi, provider: Provider, claims: dict[str, Any]
) -> None:
    user = await oidc.user(password=None)
    provider.overrides.update(claims)
    async with oidc.browser() as browser:
        response = await browser.get(await _start(browser, provider, _identity(user)))
        me = await browser.get("/auth/me")

    assert response.status_code == 401
    assert response.json()["message"] == "Identité refusée : jeton du fournisseur invalide."
    assert me.status_code == 401


async def test_an_id_token_signed_with_another_key_is_refused(
    oidc: AuthApi, provider: Provider
) -> None:
    user = await oidc.user(password=None)
    provider.signing_key = RSAKey.generate_key(2048, parameters={"kid": "k1"})
    async with oidc.browser() as browser:
        response = await browser.get(await _start(browser, provider, _identity(user)))

    assert response.status_code == 401


async def test_only_an_existing_active_user_with_a_verified_allowed_email_gets_in(
    oidc: AuthApi, provider: Provider
) -> None:
    user, gone = await oidc.user(password=None), await oidc.user(password=None)
    elsewhere = await oidc.user(password=None, domain="ailleurs.fr")
    async with oidc.browser() as http:
        await http.post(f"/admin/users/{gone['id']}/deactivate", headers=oidc.admin.headers)
    identities = {
        "unknown": {"email": f"inconnu-{uuid.uuid4().hex[:6]}@region.fr", "email_verified": True},
        "unverified": _identity(user, email_verified=False),
        "other domain": _identity(elsewhere),
        "deactivated": _identity(gone),
    }
    statuses = {}
    for label, identity in identities.items():
        async with oidc.browser() as browser:
            response = await browser.get(await _start(browser, provider, identity))
            statuses[label] = response.status_code
            assert (await browser.get("/auth/me")).status_code == 401, label

    assert set(statuses.values()) == {403}, statuses


async def test_oidc_is_off_unless_configured(
    dev_env: WorkflowEnvironment, database_url: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    async with auth_api(dev_env, database_url, sessions) as api, api.browser() as http:
        login = await http.get("/auth/oidc/login")
        callback = await http.get("/auth/oidc/callback?code=c&state=s")

    assert login.status_code == callback.status_code == 404
    assert login.json()["message"] == (
        "La connexion par le fournisseur d'identité de la Région n'est pas activée."
    )
