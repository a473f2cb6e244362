"""API fixtures: the app and a worker on the real Temporal dev server, an admin, platforms."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from api.app import create_app
from api.deps import hash_token
from api.schemas import PlatformIn, StructureIn, UserIn
from filrouge.core.clock import utcnow
from filrouge.mail.sink import MailSink
from filrouge.services.auth.tokens import create_user_with_token
from filrouge.services.reference.admin import NewPlatform, NewStructure, ReferenceService
from filrouge.settings import DatabaseSettings, SmtpSettings, TemporalSettings
from filrouge.store.engine import transaction
from filrouge.store.models import ApiToken, User
from startup.worker import build_worker
from tests.support.mail import temporary_sink
from tests.support.per_backend import PerBackend
from tests.support.territory import TerritoryAllocator, allocator_for


async def _no_server_error(response: httpx.Response) -> None:
    """Every expected failure has its own status: a 5xx is always a bug."""
    if response.status_code >= 500:
        await response.aread()
        raise AssertionError(f"{response.request.url} answered {response.status_code}")


@dataclass(frozen=True)
class Member:
    """A user of the platform with their personal API token."""

    id: str
    token: str
    structure_id: str | None = None

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class Team:
    """A platform with a Mission locale (two référents), an MLDS (one) and a coordinator."""

    platform_id: str
    coordinator: Member
    ml_referents: list[Member]
    mlds_referent: Member
    partner: Member

    def member(self, user_id: str) -> Member:
        everyone = [self.coordinator, self.mlds_referent, self.partner, *self.ml_referents]
        return next(m for m in everyone if m.id == user_id)


@dataclass
class Api:
    """The HTTP client on the app, plus what tests need to set it up and inspect it."""

    http: httpx.AsyncClient
    sessions: async_sessionmaker[AsyncSession]
    admin: Member
    new_worker: Any = field(repr=False)
    # The API's own SMTP server: activation mails, kept apart from the worker's mails.
    accounts_mail: MailSink | None = field(default=None, repr=False)
    # Codes no other platform of the database claims (shared with the `territory` fixture).
    territories: TerritoryAllocator = field(default_factory=TerritoryAllocator, repr=False)

    async def admin_post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = await self.http.post(path, json=body, headers=self.admin.headers)
        assert response.status_code == 201, response.text
        return response.json()  # type: ignore[no-any-return]

    async def user(
        self,
        role: str,
        platform_id: str | None,
        structure_id: str | None = None,
        region: str = "Occitanie",
    ) -> Member:
        """A new user with their own API token, made through the services as the command line
        does (no HTTP, no activation mail): POST /admin/users and its mail are tested on their
        own (test_admin_api.py, test_accounts.py, tests/pages/test_activation.py, test_admin.py).
        """
        async with transaction(self.sessions) as session:
            return await self._user(session, role, platform_id, structure_id, region)

    async def _user(
        self,
        session: AsyncSession,
        role: str,
        platform_id: str | None,
        structure_id: str | None,
        region: str = "Occitanie",
    ) -> Member:
        body = {
            "display_name": f"{role} {uuid.uuid4().hex[:4]}",
            "email": f"{role}-{uuid.uuid4().hex[:12]}@psad.filrouge.fr",
            "role": role,
            "platform_id": platform_id,
            "structure_id": structure_id,
        }
        if role == "pilote":
            body["region"] = region
        # The route's own validation (the body of POST /admin/users), then its service.
        user, issued = await create_user_with_token(session, UserIn.model_validate(body), "tests")
        return Member(user.id, issued.token, structure_id)

    async def team(
        self,
        policy: dict[str, Any] | None = None,
        territory: dict[str, Any] | None = None,
        region: str = "Occitanie",
        name: str = "PSAD test",
    ) -> Team:
        """A fresh platform (so référent workloads start at zero) with its staff, in one
        transaction through the services the admin routes use (their validation included:
        a territory overlapping another platform's is refused); no HTTP round trip."""
        platform_id = f"psad-{uuid.uuid4().hex[:8]}"
        body = {"id": platform_id, "name": name, "region": region}
        platform = PlatformIn.model_validate(
            body | {"policy": policy or {}, "territory": territory or {}}
        )
        ml, mlds = f"ml-{platform_id}", f"mlds-{platform_id}"
        async with transaction(self.sessions) as session:
            service = ReferenceService(session)
            await service.create_platform(
                NewPlatform(
                    id=platform.id,
                    name=platform.name,
                    region=platform.region,
                    territory=platform.territory.model_dump(),
                    policy=platform.policy.model_dump(exclude_none=True),
                    time_zone=platform.time_zone,
                )
            )
            for sid, kind in ((ml, "mission_locale"), (mlds, "mlds")):
                structure = StructureIn.model_validate(
                    {"id": sid, "platform_id": platform_id, "name": sid, "kind": kind}
                )
                await service.create_structure(
                    NewStructure(
                        structure.id, structure.platform_id, structure.name, structure.kind
                    )
                )
            return Team(
                platform_id=platform_id,
                coordinator=await self._user(session, "coordinateur", platform_id, None),
                ml_referents=[
                    await self._user(session, "referent", platform_id, ml) for _ in range(2)
                ],
                mlds_referent=await self._user(
                    session,
                    "referent",
                    platform_id,
                    mlds,
                ),
                partner=await self._user(session, "partenaire", platform_id, None),
            )

    async def create_case(
        self,
        team: Team,
        *,
        birth_date: date = date(2004, 5, 12),
        leaving_date: date | None = None,
        key: str | None = None,
        by: Member | None = None,
        expect: int = 201,
        **extra: Any,
    ) -> dict[str, Any]:
        """POST /cases for a young person of `team`'s platform; returns the case body.

        Each call is a different young person (their own INE): POST /cases deduplicates.
        """
        person = {"last_name": "Martin", "first_name": "Léa", "birth_date": birth_date.isoformat()}
        person["ine"] = f"{uuid.uuid4().int % 10**10:010d}K"
        if leaving_date:
            person["leaving_date"] = leaving_date.isoformat()
        body = {"platform_id": team.platform_id, "source": "siei", "person": person} | extra
        headers = (by or team.coordinator).headers | ({"Idempotency-Key": key} if key else {})
        response = await self.http.post("/cases", json=body, headers=headers)
        assert response.status_code == expect, response.text
        return response.json()  # type: ignore[no-any-return]

    async def step(
        self,
        case_id: str,
        path: str,
        body: dict[str, Any],
        who: Member,
        key: str | None = None,
        expect: int = 200,
    ) -> dict[str, Any]:
        """POST one human step; asserts the status and returns the body."""
        headers = who.headers | ({"Idempotency-Key": key} if key else {})
        response = await self.http.post(f"/cases/{case_id}/{path}", json=body, headers=headers)
        assert response.status_code == expect, response.text
        return response.json()  # type: ignore[no-any-return]

    async def case(self, case_id: str, who: Member) -> dict[str, Any]:
        response = await self.http.get(f"/cases/{case_id}", headers=who.headers)
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]

    async def history_kinds(self, case_id: str, who: Member) -> list[str]:
        """The kinds of the case's history events, in order, as `who` reads them."""
        response = await self.http.get(f"/cases/{case_id}/history", headers=who.headers)
        assert response.status_code == 200, response.text
        return [event["kind"] for event in response.json()]


async def create_admin(sessions: async_sessionmaker[AsyncSession]) -> Member:
    """The first administrator is created in the database, as `filrouge create-admin` does."""
    user_id, token = f"u{uuid.uuid4().hex[:15]}", f"fr_{uuid.uuid4().hex}"
    async with transaction(sessions) as session:
        session.add(
            User(
                id=user_id,
                display_name="Admin",
                email="admin@psad.filrouge.fr",
                role="admin",
                platform_id=None,
                structure_id=None,
                active=True,
                created_at=utcnow(),
            )
        )
        await session.flush()
        session.add(
            ApiToken(
                id=f"t{uuid.uuid4().hex[:15]}",
                user_id=user_id,
                token_hash=hash_token(token),
                label="bootstrap",
                created_at=utcnow(),
                revoked_at=None,
            )
        )
    return Member(user_id, token)


@asynccontextmanager
async def running_api(
    env: WorkflowEnvironment,
    database_url: str,
    sessions: async_sessionmaker[AsyncSession],
    smtp_port: int,
) -> AsyncIterator[Api]:
    """The app on its own task queue; `api.new_worker()` builds the worker that serves it."""
    task_queue = f"api-{uuid.uuid4().hex[:10]}"
    smtp = SmtpSettings(host="127.0.0.1", port=smtp_port)

    def new_worker() -> Worker:
        return build_worker(env.client, task_queue, sessions, smtp, "http://test")

    with temporary_sink("comptes-") as accounts_mail:
        app = create_app(
            DatabaseSettings(database_url=database_url),
            TemporalSettings(task_queue=task_queue, search_attributes=True),
            temporal_client=env.client,
            smtp_settings=SmtpSettings(host="127.0.0.1", port=accounts_mail.port),
            public_url="http://test",
        )
        transport = httpx.ASGITransport(app=app)
        hooks = {"response": [_no_server_error]}
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(
                transport=transport, base_url="http://test", event_hooks=hooks
            ) as http,
        ):
            admin = await create_admin(sessions)
            territories = allocator_for(database_url)
            yield Api(http, sessions, admin, new_worker, accounts_mail, territories)


@pytest.fixture(scope="session")
async def api(
    dev_env: WorkflowEnvironment,
    database_url: str,
    sessions: async_sessionmaker[AsyncSession],
    smtp_sink: MailSink,
    servers: PerBackend,
) -> Api:
    """The app and a running worker, shared by every test of one backend in the session
    (built once: ~1.3 s of CPU each). Modules that need other settings, a stopped worker or
    another SMTP server build their own with `running_api`."""

    @asynccontextmanager
    async def serving() -> AsyncIterator[Api]:
        async with running_api(dev_env, database_url, sessions, smtp_sink.port) as api:
            async with api.new_worker():
                yield api

    return await servers.get(("api", database_url), serving)
