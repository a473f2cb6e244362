"""The app with chosen authentication settings, and browsers (cookie jars) talking to it."""

from __future__ import annotations

import itertools
import re
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
from filrouge.mail.sink import MailSink
from filrouge.services.auth.tokens import create_token
from filrouge.settings import (
    AuthSettings,
    DatabaseSettings,
    OidcSettings,
    SmtpSettings,
    TemporalSettings,
)
from filrouge.store.engine import transaction
from tests.api.conftest import Member, create_admin
from tests.support.mail import temporary_sink

PASSWORD = "correct cheval pile agrafe"
BASE_URL = "http://filrouge.test"
_addresses = itertools.count(1)


@dataclass
class AuthApi:
    app: FastAPI
    admin: Member
    settings: AuthSettings
    sessions: async_sessionmaker[AsyncSession]
    mail: MailSink

    def browser(self, base_url: str = BASE_URL) -> httpx.AsyncClient:
        """A client with its own cookie jar and its own IP address (throttling is per IP)."""
        n = next(_addresses)
        transport = httpx.ASGITransport(app=self.app, client=(f"10.9.{n // 250}.{n % 250}", 5000))
        return httpx.AsyncClient(transport=transport, base_url=base_url)

    def activation_token(self, email: str) -> str:
        """The token of the latest activation link mailed to `email`."""
        mails = [m.message for m in self.mail.messages if email in m.envelope_to]
        assert mails, f"no activation mail for {email}"
        body = mails[-1].get_body(preferencelist=("plain",))
        assert body is not None
        found = re.search(r"/activation\?jeton=([\w-]+)", body.get_content())
        assert found, body.get_content()
        return found.group(1)

    async def user(
        self, password: str | None = PASSWORD, domain: str = "region.fr"
    ) -> dict[str, Any]:
        """A new administrator (no platform needed), who sets their password through the
        activation link mailed to them when one is given, and has a token of their own."""
        body = {"display_name": "Camille", "email": f"c-{uuid.uuid4().hex[:8]}@{domain}"}
        async with self.browser() as http:
            created = await http.post(
                "/admin/users", json=body | {"role": "admin"}, headers=self.admin.headers
            )
            assert created.status_code == 201, created.text
            user: dict[str, Any] = created.json()["user"]
            if password:
                token = self.activation_token(user["email"])
                response = await http.post(
                    "/auth/activation", json={"token": token, "password": password}
                )
                assert response.status_code == 204, response.text
        async with transaction(self.sessions) as session:
            issued = await create_token(session, user["id"], "tests", actor_id=user["id"])
        return user | {"token": {"token_id": issued.token_id, "token": issued.token}}


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
    with temporary_sink("comptes-") as mail:
        app = create_app(
            DatabaseSettings(database_url=database_url),
            TemporalSettings(task_queue=f"auth-{uuid.uuid4().hex[:8]}"),
            temporal_client=env.client,
            auth_settings=settings,
            oidc_settings=oidc,
            smtp_settings=SmtpSettings(host="127.0.0.1", port=mail.port),
            public_url=BASE_URL,
        )
        async with app.router.lifespan_context(app):
            yield AuthApi(app, await create_admin(sessions), settings, sessions, mail)
