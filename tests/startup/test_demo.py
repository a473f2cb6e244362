"""The demo `make run` loads: its staff log in to the pages with the logins the banner prints,
and it is never loaded outside development."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from filrouge.core.passwords import verify_password
from filrouge.mail.sink import MailSink
from filrouge.services.cases.service import CaseService
from filrouge.settings import ApiSettings, DatabaseSettings, SmtpSettings, TemporalSettings
from filrouge.store.auth_repository import AuthRepository
from filrouge.store.engine import make_engine, make_sessionmaker, transaction
from filrouge.store.migrate import upgrade
from startup.demo import DEMO_LOGINS, NOT_IN_PRODUCTION, DemoTokens, load_demo
from startup.devstack import banner
from startup.worker import build_worker

BASE = "http://127.0.0.1:8000"
START_PAGES = {
    "référent": "/mes-dossiers",
    "coordinateur": "/plateforme",
    "pilote": "/indicateurs",
    "admin": "/administration",
}


@dataclass
class Demo:
    url: str
    sessions: async_sessionmaker[AsyncSession]
    cases: CaseService
    tokens: DemoTokens
    tokens_file: Path
    queue: str


@pytest.fixture
async def demo(
    dev_env: WorkflowEnvironment, tmp_path: Path, mail_sink: MailSink
) -> AsyncIterator[Demo]:
    """The demo loaded into a fresh SQLite database, as `make run` does (its own platform
    claims all of Ille-et-Vilaine, so it never shares the tests' database)."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'demo.db'}"
    await asyncio.to_thread(upgrade, url)
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    queue = f"demo-{uuid.uuid4().hex[:10]}"
    smtp = SmtpSettings(host="127.0.0.1", port=mail_sink.port)
    cases = CaseService(sessions, dev_env.client, queue, True)
    try:
        async with build_worker(dev_env.client, queue, sessions, smtp, BASE):
            tokens_file = tmp_path / "demo-tokens.json"
            tokens = await load_demo(sessions, cases, tokens_file)
            yield Demo(url, sessions, cases, tokens, tokens_file, queue)
    finally:
        await engine.dispose()


def _printed_logins(text: str) -> dict[str, tuple[str, str]]:
    """The role, e-mail and password lines of the banner."""
    found = re.findall(r"^\s+(\S+)\s+(\S+@\S+)\s+(\S+)$", text, re.MULTILINE)
    return {role: (email, password) for role, email, password in found}


async def _log_in(http: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    form = await http.get("/connexion")
    match = re.search(r'name="csrf_token" value="([^"]*)"', form.text)
    assert match, "the login form carries its token"
    body = {"email": email, "password": password, "csrf_token": match.group(1), "next": "/"}
    return await http.post("/connexion", data=body)


async def test_the_printed_demo_logins_open_each_role_s_pages(
    demo: Demo, dev_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    text = banner(ApiSettings(), TemporalSettings(), tmp_path / "mail", demo.tokens)
    printed = _printed_logins(text)
    assert set(printed) == set(START_PAGES), text
    assert f"{BASE}/connexion" in text
    app = create_app(
        DatabaseSettings(database_url=demo.url),
        TemporalSettings(task_queue=demo.queue),
        temporal_client=dev_env.client,
    )
    async with app.router.lifespan_context(app):
        for role, (email, password) in printed.items():
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url=BASE) as http:
                login = await _log_in(http, email, password)
                assert (login.status_code, login.headers["location"]) == (303, "/"), role
                home = await http.get("/")
                assert home.headers["location"] == START_PAGES[role]
                page = await http.get(START_PAGES[role])
                assert page.status_code == 200, role
                if role == "référent":
                    assert "MOREAU Lucas" in page.text, "the référent sees the demo's cases"
                wrong = await _log_in(http, email, password + "x")
                assert wrong.status_code != 303


async def test_a_demo_loaded_before_it_had_passwords_gets_them_at_the_next_start(
    demo: Demo,
) -> None:
    referent = DEMO_LOGINS[0]
    async with transaction(demo.sessions) as session:
        for user in await AuthRepository(session).active_users_by_email(referent.email):
            user.password_hash = None
    assert await load_demo(demo.sessions, demo.cases, demo.tokens_file) == demo.tokens
    async with transaction(demo.sessions) as session:
        users = await AuthRepository(session).active_users_by_email(referent.email)
    assert len(users) == 1, "loaded once: no second account"
    assert await verify_password(users[0].password_hash, referent.password)


async def test_the_demo_is_never_loaded_outside_development(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SECURITY_ENVIRONMENT", "production")
    monkeypatch.setenv("SECURITY_SECRET_KEY", "a-real-secret-for-this-test")
    monkeypatch.setenv("SECURITY_PAYLOAD_KEYS", "k1:" + "A" * 44)
    url = f"sqlite+aiosqlite:///{tmp_path / 'prod.db'}"
    await asyncio.to_thread(upgrade, url)
    engine = make_engine(url)
    try:
        sessions = make_sessionmaker(engine)
        cases = CaseService(sessions, None, "unused", True)  # type: ignore[arg-type]
        with pytest.raises(RuntimeError, match="SECURITY_ENVIRONMENT=development"):
            await load_demo(sessions, cases, tmp_path / "tokens.json")
        assert NOT_IN_PRODUCTION.startswith("Les données de démonstration")
        assert not (tmp_path / "tokens.json").exists()
    finally:
        await engine.dispose()
