"""The load of the fault trials: one fast-timer platform, list imports and bursts of API calls.

Every creation and step the API acknowledges is written in a `Ledger`, which the checks
compare with what the read model, the Temporal server and the SMTP sink hold afterwards.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.schemas import PolicyIn, UserIn
from bench.seeding import seed_structures
from filrouge.core.domain import Role
from filrouge.intake.synthetic import (
    COMMUNES,
    FIRST_NAMES_F,
    FIRST_NAMES_M,
    LAST_NAMES,
    generate_list,
)
from filrouge.services.auth.tokens import create_user_with_token
from filrouge.services.reference.admin import NewPlatform, ReferenceService
from filrouge.store.engine import transaction
from filrouge.store.models import Case

PLATFORM = "psad-faults"
# Timers in seconds, so that they fire during the trials; the rest is far off (nothing else
# fires during the run), as on the demo's "psad-express" platform (startup/demo.py).
FAST_POLICY = PolicyIn(
    reminder_no_contact="PT15S",
    escalation_no_contact="PT35S",
    routing_escalation="PT20S",
    stuck_escalation="PT60S",
    attempt_spacing="PT1S",
    max_failed_attempts=3,
    retention="P1D",
)
ACKNOWLEDGED = (200, 201, 202)


@dataclass
class Ledger:
    """What the API acknowledged during the run (never what the code says it did)."""

    imports: list[str] = field(default_factory=list)
    created: set[str] = field(default_factory=set)
    created_by_referral: set[str] = field(default_factory=set)
    attempts: Counter[str] = field(default_factory=Counter)
    refused: Counter[str] = field(default_factory=Counter)
    retried_requests: int = 0
    unanswered: int = 0


@dataclass
class Seeded:
    coordinator_token: str


async def seed(sessions: async_sessionmaker[AsyncSession]) -> Seeded:
    """The platform (all synthetic communes), its structures, référents, coordinator, pilot."""
    async with transaction(sessions) as session:
        service = ReferenceService(session)
        territory = {"departements": ["35", "2A", "2B", "974"]}
        name = "PSAD essais de pannes (délais en secondes)"
        policy = FAST_POLICY.model_dump(exclude_none=True)
        await service.create_platform(
            NewPlatform(
                id=PLATFORM, name=name, region="Bretagne", territory=territory, policy=policy
            )
        )
        await seed_structures(service, PLATFORM, "faults.filrouge.fr")
        await service.create_user(
            UserIn(
                display_name="Pilotage",
                email="pilote@faults.filrouge.fr",
                role=Role.PILOTE,
                region="Bretagne",
            )
        )
        _, token = await create_user_with_token(
            session,
            UserIn(
                display_name="Coordination essais",
                email="coordination@faults.filrouge.fr",
                role=Role.COORDINATEUR,
                platform_id=PLATFORM,
            ),
            "essais de pannes",
        )
    return Seeded(token.token)


class People:
    """Fictional young people with unique INEs, for POST /cases and referrals."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.ines: set[str] = set()

    def person(self) -> dict[str, Any]:
        rng = self.rng
        insee, postal_code, commune = rng.choice(COMMUNES)
        birth = date.today() - timedelta(days=rng.randint(17 * 366, 21 * 365))
        return {
            "last_name": rng.choice(LAST_NAMES),
            "first_name": rng.choice(FIRST_NAMES_F + FIRST_NAMES_M),
            "birth_date": birth.isoformat(),
            "ine": self.ine(),
            "postal_code": postal_code,
            "commune_insee": insee,
            "commune_name": commune,
            "leaving_date": (date.today() - timedelta(days=rng.randint(20, 300))).isoformat(),
        }

    def ine(self) -> str:
        while True:
            ine = f"{self.rng.randrange(10**10):010d}{self.rng.choice('ABCDEFGHJK')}"
            if ine not in self.ines:
                self.ines.add(ine)
                return ine


class Load:
    """The three kinds of work the worker is killed in the middle of."""

    def __init__(self, api_url: str, token: str, ledger: Ledger, rng: random.Random) -> None:
        self.api_url = api_url
        self.headers = {"Authorization": f"Bearer {token}"}
        self.ledger = ledger
        self.rng = rng
        self.people = People(rng)
        self.keys = 0

    def http(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.api_url, headers=self.headers, timeout=60)

    async def upload(self, rows: int, seed: int) -> str:
        """POST /imports of a synthetic list; returns the import id once acknowledged."""
        content = generate_list(rows, seed=seed)
        files = {"file": (f"liste-{seed}.csv", content, "text/csv")}
        async with self.http() as http:
            response = await http.post("/imports", files=files)
        response.raise_for_status()
        import_id = str(response.json()["id"])
        self.ledger.imports.append(import_id)
        return import_id

    async def burst(self, creations: int, attempts: int, referrals: int, patience_s: float) -> None:
        """Concurrent creations, referrals and contact attempts, each retried until answered."""
        candidates = [c for c in self.ledger.created if self.ledger.attempts[c] < 2]
        targets = self.rng.sample(sorted(candidates), min(attempts, len(candidates)))
        deadline = time.monotonic() + patience_s
        async with self.http() as http:
            jobs = [self._create(http, deadline) for _ in range(creations)]
            jobs += [self._refer(http, deadline) for _ in range(referrals)]
            jobs += [self._attempt(http, case_id, deadline) for case_id in targets]
            await asyncio.gather(*jobs)

    def _key(self) -> str:
        self.keys += 1
        return f"faults-{self.keys}-{self.rng.randrange(10**9)}"

    async def _create(self, http: httpx.AsyncClient, deadline: float) -> None:
        body = {"platform_id": PLATFORM, "source": "mission_locale", "person": self.people.person()}
        answer = await self._until_answered(http, "/cases", body, deadline)
        if answer is not None:
            self.ledger.created.add(answer["id"])

    async def _refer(self, http: httpx.AsyncClient, deadline: float) -> None:
        body = {"source": "cio", "person": self.people.person()}
        answer = await self._until_answered(http, "/referrals", body, deadline)
        if answer is not None and answer.get("case_id"):
            self.ledger.created_by_referral.add(answer["case_id"])

    async def _attempt(self, http: httpx.AsyncClient, case_id: str, deadline: float) -> None:
        body = {"channel": "telephone", "result": "pas_de_reponse"}
        url = f"/cases/{case_id}/contact-attempts"
        if await self._until_answered(http, url, body, deadline) is not None:
            self.ledger.attempts[case_id] += 1

    async def _until_answered(
        self, http: httpx.AsyncClient, url: str, body: dict[str, Any], deadline: float
    ) -> dict[str, Any] | None:
        """POST with one Idempotency-Key, again on 5xx or a broken connection, as a client would.

        Returns the acknowledged body, or None when refused (4xx) or never answered.
        """
        headers = {"Idempotency-Key": self._key()}
        while time.monotonic() < deadline:
            try:
                response = await http.post(url, json=body, headers=headers)
            except httpx.TransportError:
                response = None
            if response is not None and response.status_code in ACKNOWLEDGED:
                return dict(response.json())
            if response is not None and response.status_code < 500:
                self.ledger.refused[f"{url.split('/')[-1]} {response.status_code}"] += 1
                return None
            self.ledger.retried_requests += 1
            await asyncio.sleep(1.0)
        self.ledger.unanswered += 1
        return None


async def upcoming_deadlines(
    sessions: async_sessionmaker[AsyncSession], within: timedelta
) -> list[datetime]:
    """Next deadlines of open cases due between now and now + `within` (from the read model)."""
    now = datetime.now(UTC)
    query = select(Case.next_deadline_at).where(
        Case.next_deadline_at >= now, Case.next_deadline_at <= now + within
    )
    async with transaction(sessions) as session:
        return sorted(d for d in (await session.scalars(query)).all() if d is not None)
