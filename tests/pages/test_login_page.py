"""The login page alone (no database or Temporal needed to show it)."""

from __future__ import annotations

import httpx

from api.app import create_app
from filrouge.settings import OidcSettings


async def _login_page(oidc: OidcSettings) -> httpx.Response:
    transport = httpx.ASGITransport(app=create_app(oidc_settings=oidc))
    async with httpx.AsyncClient(transport=transport, base_url="http://filrouge.test") as http:
        return await http.get("/connexion")


async def test_the_openid_connect_button_shows_only_when_configured() -> None:
    off = await _login_page(OidcSettings(issuer="", client_id=""))
    assert off.status_code == 200
    assert "/auth/oidc/login" not in off.text
    on = await _login_page(OidcSettings(issuer="https://idp.region.test", client_id="filrouge"))
    assert 'href="/auth/oidc/login"' in on.text
    assert "Se connecter avec le compte de l’organisation" in on.text


async def test_the_login_form_carries_its_token_and_sets_its_cookie() -> None:
    response = await _login_page(OidcSettings())
    assert 'name="csrf_token"' in response.text
    assert "filrouge_login_csrf=" in response.headers["set-cookie"]
    assert "HttpOnly" in response.headers["set-cookie"]
