"""`make bench-pages`: how fast the pages render with 10,000 cases in one platform, on SQLite
and on PostgreSQL.

For each database: a fresh one (a SQLite file in a temporary directory; a database created on
the local PostgreSQL server and dropped at the end), migrated, one platform with its staff
and 10,000 cases inserted in bulk into the read model (the pages read the database, never the
workflows). The real ASGI application is then driven in process (httpx's ASGI transport, the
app's lifespan running) by users logged in through the login page, one request at a time:
a warm-up, then at least 200 timed requests per page. Each request is timed from the client
side, from the request sent to the whole answer read.

A page is one line of `PAGES`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import re
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client

from api.app import create_app
from bench.seeding import seed_cases, seed_structures
from filrouge.core.clock import utcnow
from filrouge.core.domain import Role
from filrouge.core.passwords import hash_password
from filrouge.services.reference.admin import NewPlatform, NewUser, ReferenceService
from filrouge.settings import DatabaseSettings, TemporalSettings
from filrouge.store.engine import make_engine, make_sessionmaker, transaction
from filrouge.store.migrate import upgrade
from filrouge.store.models import Case, User
from filrouge.store.repositories import ReferenceRepository

RESULTS = Path(__file__).parent / "results" / "pages.json"
GOAL_P95_MS = 200.0
PLATFORM = "bench-pages"
# 2 structures x 15: a référent follows about 1/30 of the cases and sees their structure's.
REFERENTS_PER_STRUCTURE = 15
PASSWORD = "banc d'essai des pages"
BASE_URL = "http://filrouge.bench"
POSTGRES_ADMIN_URL = os.environ.get(
    "BENCH_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/test"
)


@dataclass(frozen=True)
class Page:
    """A page to time: who asks for it, and how (a GET, or a search posted as htmx does)."""

    name: str
    role: Role
    path: str
    search: str | None = None


PAGES = [
    Page("mes_dossiers", Role.REFERENT, "/mes-dossiers"),
    Page("mes_dossiers_en_retard", Role.REFERENT, "/mes-dossiers?en_retard=true"),
    Page("mes_dossiers_recherche", Role.REFERENT, "/mes-dossiers", search="ma"),
    Page("plateforme", Role.COORDINATEUR, "/plateforme"),
    Page("plateforme_dossiers", Role.COORDINATEUR, "/plateforme/dossiers"),
]


@dataclass(frozen=True)
class Figures:
    p50_ms: float
    p95_ms: float
    max_ms: float
    requests: int
    # This process's CPU time per request (the app, the client and SQLite's thread; not the
    # PostgreSQL server): what the page costs, whatever else the machine is doing.
    cpu_p50_ms: float


def figures(durations: list[float], cpu: list[float]) -> Figures:
    """Median, 95th percentile and maximum of durations in seconds, in milliseconds."""
    p95 = statistics.quantiles(durations, n=100, method="inclusive")[94]
    ms = [round(x * 1000, 1) for x in (statistics.median(durations), p95, max(durations))]
    return Figures(ms[0], ms[1], ms[2], len(durations), round(statistics.median(cpu) * 1000, 1))


# ------------------------------------------------------------------ databases


@contextlib.asynccontextmanager
async def sqlite_database(directory: Path) -> AsyncIterator[str]:
    """A migrated SQLite file, as `make run` has (WAL, set by the engine)."""
    url = f"sqlite+aiosqlite:///{directory / 'filrouge.db'}"
    await asyncio.to_thread(upgrade, url)
    yield url


@contextlib.asynccontextmanager
async def postgresql_database() -> AsyncIterator[str]:
    """A migrated database of its own on the local PostgreSQL server, dropped at the end."""
    name = f"filrouge_bench_pages_{uuid.uuid4().hex[:8]}"
    try:
        conn = await asyncpg.connect(POSTGRES_ADMIN_URL, timeout=5)
    except (OSError, asyncpg.PostgresError) as error:
        raise SystemExit(f"PostgreSQL injoignable ({POSTGRES_ADMIN_URL}) : {error}") from error
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    try:
        url = f"{base}/{name}"
        await asyncio.to_thread(upgrade, url)
        yield url
    finally:
        conn = await asyncpg.connect(POSTGRES_ADMIN_URL, timeout=5)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()


# ------------------------------------------------------------------ data


@dataclass(frozen=True)
class People:
    """The users the pages are asked by, by role, and what the référent follows."""

    emails: dict[Role, str]
    referent_cases: int


async def seed(sessions: async_sessionmaker[AsyncSession], cases: int) -> People:
    """One platform, its structures, référents and coordinator, `cases` cases."""
    async with transaction(sessions) as session:
        service = ReferenceService(session)
        await service.create_platform(NewPlatform(id=PLATFORM, name="PSAD banc", region="Bench"))
        await seed_structures(service, PLATFORM, "bench.filrouge.fr", REFERENTS_PER_STRUCTURE)
        coordinator = await service.create_user(
            NewUser("Coordination banc", "coord@bench.filrouge.fr", Role.COORDINATEUR, PLATFORM)
        )
        referents = await ReferenceRepository(session).users(PLATFORM, Role.REFERENT)
        await seed_cases(session, PLATFORM, referents, cases, utcnow())
        referent = referents[0]
        password_hash = await hash_password(PASSWORD)
        for user in (referent, coordinator):
            user.password_hash = password_hash
    async with transaction(sessions) as session:
        followed = await _followed(session, referent)
    emails = {Role.REFERENT: referent.email, Role.COORDINATEUR: coordinator.email}
    return People(emails, followed)


async def _followed(session: AsyncSession, referent: User) -> int:
    query = select(func.count()).where(Case.referent_id == referent.id)
    return int(await session.scalar(query) or 0)


async def analyze(url: str) -> None:
    """PostgreSQL's statistics and visibility map, as autovacuum keeps them after a bulk load
    (index-only scans need the latter)."""
    if url.startswith("postgresql"):
        conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
        try:
            await conn.execute("VACUUM ANALYZE")
        finally:
            await conn.close()


# ------------------------------------------------------------------ requests


async def log_in(http: httpx.AsyncClient, email: str) -> None:
    """Log in through the login page, as a browser does."""
    form = await http.get("/connexion")
    token = _hidden(form.text, "csrf_token")
    body = {"email": email, "password": PASSWORD, "csrf_token": token, "next": "/"}
    answer = await http.post("/connexion", data=body)
    if answer.status_code != 303:
        raise SystemExit(f"Connexion refusée pour {email} : {answer.status_code}")


def _hidden(html: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', html)
    if not match:
        raise SystemExit(f"Champ caché {name} absent de la page")
    return match.group(1)


async def ask(http: httpx.AsyncClient, page: Page, csrf: str | None) -> httpx.Response:
    """One request for the page; the answer is read whole."""
    if page.search is None:
        answer = await http.get(page.path)
    else:
        body = {"recherche": page.search, "etape": "", "csrf_token": csrf or ""}
        answer = await http.post(page.path, data=body, headers={"HX-Request": "true"})
    if answer.status_code != 200:
        raise SystemExit(f"{page.path} a répondu {answer.status_code}")
    return answer


async def time_page(
    http: httpx.AsyncClient, page: Page, warmup: int, requests: int
) -> tuple[Figures, str]:
    """Warm-up, then `requests` timed requests one after the other."""
    csrf = _hidden((await http.get(page.path)).text, "csrf_token") if page.search else None
    for _ in range(warmup):
        await ask(http, page, csrf)
    durations, cpu = [], []
    answer = None
    for _ in range(requests):
        started, cpu_started = time.perf_counter(), time.process_time()
        answer = await ask(http, page, csrf)
        durations.append(time.perf_counter() - started)
        cpu.append(time.process_time() - cpu_started)
    assert answer is not None
    return figures(durations, cpu), _shown(answer.text)


def _line(name: str, result: Figures, shown: str) -> str:
    return (
        f"  {name:<24} p50 {result.p50_ms:>6} ms  p95 {result.p95_ms:>6} ms  "
        f"max {result.max_ms:>6} ms  CPU {result.cpu_p50_ms:>5} ms  {shown}"
    )


def _shown(html: str) -> str:
    """What the page says it shows (its count of cases), to check it is not empty."""
    match = re.search(r"(\d[\d  ]*) dossiers?", html)
    return match.group(0) if match else ""


async def bench_database(url: str, args: argparse.Namespace) -> dict[str, Any]:
    """Seed the database, then time every page on it."""
    load_before = _load()
    engine = make_engine(url)
    try:
        started = time.perf_counter()
        people = await seed(make_sessionmaker(engine), args.cases)
        await analyze(url)
        seeded_s = time.perf_counter() - started
    finally:
        await engine.dispose()
    # The pages never call Temporal; a lazy client fails loudly if one ever does.
    client = await Client.connect("127.0.0.1:1", lazy=True)
    app = create_app(DatabaseSettings(database_url=url), TemporalSettings(), temporal_client=client)
    pages: dict[str, Any] = {}
    async with app.router.lifespan_context(app):
        clients = {}
        for role, email in people.emails.items():
            transport = httpx.ASGITransport(app=app)
            clients[role] = httpx.AsyncClient(transport=transport, base_url=BASE_URL)
            await log_in(clients[role], email)
        for page in args.pages:
            result, shown = await time_page(clients[page.role], page, args.warmup, args.requests)
            pages[page.name] = result.__dict__ | {"path": page.path, "shown": shown}
            print(_line(page.name, result, shown), flush=True)
        for http in clients.values():
            await http.aclose()
    slowest = max(pages, key=lambda name: pages[name]["p95_ms"])
    return {
        "seed_seconds": round(seeded_s, 1),
        "load_average_1min_before_after": [load_before, _load()],
        "referent_cases": people.referent_cases,
        "slowest_page": slowest,
        "p95_ms": pages[slowest]["p95_ms"],
        "pages": pages,
    }


# ------------------------------------------------------------------ results


def _load() -> float:
    return round(os.getloadavg()[0], 2)


def results(args: argparse.Namespace, by_backend: dict[str, dict[str, Any]]) -> dict[str, Any]:
    p95 = {backend: data["p95_ms"] for backend, data in by_backend.items()}
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": "make bench-pages",
        "cases": args.cases,
        "p95_ms_sqlite": p95.get("sqlite"),
        "p95_ms_postgresql": p95.get("postgresql"),
        "goal_p95_ms_under": GOAL_P95_MS,
        "goal_met": all(v < GOAL_P95_MS for v in p95.values()),
        "requests_per_page": args.requests,
        "warmup_requests": args.warmup,
        "clock": "client side, one request at a time through the ASGI app in process (httpx "
        "ASGITransport), from sending the request to reading the whole answer",
        "platform": {
            "cases": args.cases,
            "referents": 2 * REFERENTS_PER_STRUCTURE,
            "structures": 2,
            "about": "the référent sees the cases assigned to them and those of their "
            "structure; the coordinator sees the whole platform",
        },
        "backends": by_backend,
        "machine": {
            "cpu_count": os.cpu_count(),
            "platform": platform.platform(),
            "python": sys.version.split()[0],
            "load_average_1_5_15": [round(x, 2) for x in os.getloadavg()],
        },
        "note": "shared machine: absolute figures are noisy",
    }


def summary(data: dict[str, Any]) -> str:
    lines = [f"Pages, {data['cases']} dossiers dans la plateforme :"]
    for backend, figures_ in data["backends"].items():
        lines.append(
            f"  {backend} : p95 de la page la plus lente ({figures_['slowest_page']}) "
            f"{figures_['p95_ms']} ms"
        )
    met = "atteint" if data["goal_met"] else "manqué"
    lines.append(f"Objectif p95 < {GOAL_P95_MS:.0f} ms sur chaque base : {met}")
    return "\n".join(lines)


async def main(args: argparse.Namespace) -> dict[str, Any]:
    by_backend: dict[str, dict[str, Any]] = {}
    if "sqlite" in args.backends:
        print("SQLite :", flush=True)
        with tempfile.TemporaryDirectory(prefix="filrouge-bench-pages-") as tmp:
            async with sqlite_database(Path(tmp)) as url:
                by_backend["sqlite"] = await bench_database(url, args)
    if "postgresql" in args.backends:
        print("PostgreSQL :", flush=True)
        async with postgresql_database() as url:
            by_backend["postgresql"] = await bench_database(url, args)
    return results(args, by_backend)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=200, help="timed requests per page")
    parser.add_argument("--warmup", type=int, default=20, help="untimed requests per page first")
    parser.add_argument(
        "--backends",
        type=lambda text: text.split(","),
        default=["sqlite", "postgresql"],
        help="comma-separated: sqlite,postgresql",
    )
    parser.add_argument(
        "--pages",
        type=lambda text: [p for p in PAGES if p.name in text.split(",")],
        default=PAGES,
        help="comma-separated page names (default: all)",
    )
    parser.add_argument("--out", type=Path, default=RESULTS)
    return parser.parse_args(argv)


def run(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    data = asyncio.run(main(args))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    print(summary(data))
    print(f"Résultats : {args.out}")


if __name__ == "__main__":
    run()
