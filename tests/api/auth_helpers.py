"""The app with chosen authentication settings, and browsers (cookie jars) talking to it."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from filrouge.settings import AuthSettings, DatabaseSettings, OidcSettings, TemporalSettings
from tests.api.conftest import Member, create_admin

PASSWORD = "correct cheval pile agrafe"
BASE_URL = "http://filrouge.test"
_addresses = itertools.count(1)


@dataclass
class AuthApi:
    app: FastAPI
    admin: Member
    settings: AuthSettings

    def browser(self, base_url: str = BASE_URL) -> httpx.AsyncClient:
        """A client with its own cookie jar and its own IP address (throttling is per IP)."""
        n = next(_addresses)
        transport = httpx.ASGITransport(app=self.app, client=(f"10.9.{n // 250}.{n % 250}", 5000))
        return httpx.AsyncClient(transport=transport, base_url=base_url)

    async def user(
        self, password: str | None = PASSWORD, domain: str = "region.fr"
    ) -> dict[str, Any]:
        """A new administrator (no platform needed), with a password when given."""
        body = {"display_name": "Camille", "email": f"c-{uuid.uuid4().hex[:8]}@{domain}"}
        async with self.browser() as http:
            created = await http.post(
                "/admin/users", json=body | {"role": "admin"}, headers=self.admin.headers
            )
            assert created.status_code == 201, created.text
            user: dict[str, Any] = created.json()["user"] | {"token": created.json()["token"]}
            if password:
                response = await http.put(
                    f"/admin/users/{user['id']}/password",
                    json={"password": password},
                    headers=self.admin.headers,
                )
                assert response.status_code == 204, response.text
        return user


async def login(browser: httpx.AsyncClient, email: str, password: str = PASSWORD) -> httpx.Response:
    return await browser.post("/auth/login", json={"email": email, "password": password})


def csrf(browser: httpx.AsyncClient, settings: AuthSettings) -> dict[str, str]:
    """The header a page's script sends: the CSRF cookie's value."""
    return {"X-CSRF-Token": browser.cookies[settings.csrf_cookie]}


@asynccontextmanager
async def auth_api(
    env: WorkflowEnvironment,
    database_url: str,
    sessions: async_sessionmaker[AsyncSession],
    settings: AuthSettings | None = None,
    oidc: OidcSettings | None = None,
) -> AsyncIterator[AuthApi]:
    """The app (no worker: authentication never reaches Temporal) with these settings."""
    settings = settings or AuthSettings()
    app = create_app(
        DatabaseSettings(database_url=database_url),
        TemporalSettings(task_queue=f"auth-{uuid.uuid4().hex[:8]}"),
        temporal_client=env.client,
        auth_settings=settings,
        oidc_settings=oidc,
    )
    async with app.router.lifespan_context(app):
        yield AuthApi(app, await create_admin(sessions), settings)
