"""Page fixtures: the app served by uvicorn on a free port (real stack of tests/api), a
Chromium driven by Playwright, accounts with passwords, and the accessibility check."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import socket
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.requests import Request
from starlette.responses import Response
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from api.app import create_app
from filrouge.core.passwords import hash_password
from filrouge.mail.sink import MailSink
from filrouge.settings import DatabaseSettings, SmtpSettings, TemporalSettings
from filrouge.store.engine import transaction
from filrouge.store.models import User
from startup.worker import build_worker
from tests.api.conftest import Api, create_admin
from tests.support.http import http_client
from tests.support.per_backend import PerBackend
from tests.support.territory import allocator_for

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = "correct cheval pile agrafe"
# axe-core impacts that fail a test.
BLOCKING_IMPACTS = {"serious", "critical"}


@dataclass(frozen=True)
class Account:
    id: str
    email: str
    role: str
    password: str = PASSWORD


@dataclass
class Site:
    """The app served over real HTTP, plus the API fixture to set data up."""

    url: str
    api: Api
    # The loopback SMTP server receiving the app's mails (activation links included).
    mail: MailSink

    async def account(self, role: str = "referent", platform_id: str | None = None) -> Account:
        """A new user of `role` with a password (a platform is created when one is needed)."""
        if platform_id is None and role in ("referent", "coordinateur", "partenaire"):
            platform_id = (await self.api.team()).platform_id
        structure_id = f"ml-{platform_id}" if role == "referent" else None
        member = await self.api.user(role, platform_id, structure_id)
        return await self.with_password(member.id)

    async def accounts(self, *roles: str) -> list[Account]:
        """One account per role, those of a platform sharing one new platform (cheaper than
        a platform each)."""
        team = await self.api.team()
        members = {"referent": team.ml_referents[0], "coordinateur": team.coordinator}
        members["partenaire"] = team.partner
        found = []
        for role in roles:
            member = members.get(role)
            found.append(
                await self.with_password(member.id) if member else await self.account(role)
            )
        return found

    async def with_password(self, user_id: str) -> Account:
        """An existing user given a password in the database, as if they had activated."""
        async with transaction(self.api.sessions) as session:
            user = await session.get(User, user_id)
            assert user is not None
            user.password_hash, email, role = await hash_password(PASSWORD), user.email, user.role
        return Account(user_id, email, role)

    async def log_in(
        self, page: Any, account: Account, path: str, landing: str | None = None
    ) -> None:
        """Open `path` in `page` as `account` and see it land on `landing` (`path` itself by
        default), logged in over HTTP: the session cookies of a login posted by httpx, put in
        the page's context. Quicker than the form, which test_browser.py (mouse and
        keyboard), test_activation.py and test_admin.py fill in."""
        async with self.client() as http:
            form = await http.get("/connexion")
            token = re.search(r'name="csrf_token" value="([^"]*)"', form.text)
            assert token, "no CSRF token in the login form"
            body = {"email": account.email, "password": account.password}
            answer = await http.post("/connexion", data=body | {"csrf_token": token.group(1)})
            assert answer.status_code == 303, answer.text
            cookies = [
                {
                    "name": cookie.name,
                    "value": cookie.value or "",
                    "domain": cookie.domain,
                    "path": cookie.path,
                    "httpOnly": cookie.has_nonstandard_attr("HttpOnly"),
                    "sameSite": "Lax",
                }
                for cookie in http.cookies.jar
            ]
        await page.context.add_cookies(cookies)
        await page.goto(path)
        assert page.url == self.url + (landing or path), page.url

    def client(self) -> httpx.AsyncClient:
        """A cookie-keeping HTTP client on the served app (no redirects followed)."""
        return http_client(base_url=self.url)


def _free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@pytest.fixture(scope="session")
async def site(
    dev_env: WorkflowEnvironment,
    database_url: str,
    sessions: async_sessionmaker[AsyncSession],
    smtp_sink: MailSink,
    servers: PerBackend,
) -> Site:
    """uvicorn serving the app on a free port with its worker, shared by every page test of
    one backend in the session (built once); set-up calls go over HTTP."""
    return await servers.get(
        ("site", database_url), lambda: _serving(dev_env, database_url, sessions, smtp_sink)
    )


@asynccontextmanager
async def _serving(
    dev_env: WorkflowEnvironment,
    database_url: str,
    sessions: async_sessionmaker[AsyncSession],
    smtp_sink: MailSink,
) -> AsyncIterator[Site]:
    task_queue = f"pages-{uuid.uuid4().hex[:10]}"
    sock = _free_socket()
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    smtp = SmtpSettings(host="127.0.0.1", port=smtp_sink.port)
    app = create_app(
        DatabaseSettings(database_url=database_url),
        TemporalSettings(task_queue=task_queue, search_attributes=True),
        temporal_client=dev_env.client,
        smtp_settings=smtp,
        public_url=url,
    )

    def new_worker() -> Worker:
        return build_worker(dev_env.client, task_queue, sessions, smtp, url)

    app.add_route(AXE_PATH, _axe_script)  # the tests' own: see `assert_accessible`
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:  # noqa: ASYNC110 (uvicorn offers no event to wait on)
        await asyncio.sleep(0.05)
    try:
        async with http_client(base_url=url) as http, new_worker():
            admin = await create_admin(sessions)
            # The database's one territory allocator: codes no other module's platform claims.
            api = Api(http, sessions, admin, new_worker, territories=allocator_for(database_url))
            yield Site(url, api, smtp_sink)
    finally:
        server.should_exit = True
        await serving
        sock.close()


def _chromium_missing() -> str | None:
    if shutil.which(CHROMIUM) or os.path.exists(CHROMIUM):
        return None
    return (
        f"browser tests need Chromium at {CHROMIUM} (Debian package `chromium`: "
        "apt-get install -y chromium; .ci/run installs it)"
    )


@pytest.fixture(scope="session")
async def chromium() -> AsyncIterator[Any]:
    """The system's Chromium, driven by Playwright (no browser is ever downloaded)."""
    missing = _chromium_missing()
    if missing:
        if os.environ.get("CI") == "true":
            pytest.fail(missing)
        pytest.skip(missing)
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield browser
        await browser.close()


@pytest.fixture(scope="module")
async def browser_context(chromium: Any, site: Site) -> AsyncIterator[Any]:
    """One browser context in French per test module: a context and its first page cost
    ~0.25 s of CPU to make, and each new context loads and compiles the DSFR assets again.
    `page` empties it between tests."""
    context = await chromium.new_context(base_url=site.url, locale="fr-FR")
    yield context
    await context.close()


# What a test can leave in its context, the HTTP cache of the static assets excepted:
# `page` clears it all, so each test starts as in a new context.
STORAGE_TYPES = "all"


@pytest.fixture
async def page(browser_context: Any, site: Site) -> AsyncIterator[Any]:
    """A page in French, without cookies or stored data (the module's context, emptied)."""
    pages = [p for p in browser_context.pages if not p.is_closed()]
    page = pages[0] if pages else await browser_context.new_page()
    for extra in pages[1:]:
        await extra.close()
    await _empty(browser_context, page, site.url)
    errors: list[str] = []

    def on_page_error(error: Any) -> None:
        errors.append(str(error))

    def on_console(message: Any) -> None:
        _keep_error(errors, message)

    page.on("pageerror", on_page_error)
    page.on("console", on_console)
    try:
        yield page
        # Leave the app's page (its scripts and polls stop) while still listening to it.
        await page.goto("about:blank")
    finally:
        page.remove_listener("pageerror", on_page_error)
        page.remove_listener("console", on_console)
    # A script error or a refused asset (CSP) is a bug; a 4xx answer is what a test expects.
    assert not errors, errors


async def _empty(context: Any, page: Any, origin: str) -> None:
    """The context as new for `origin`: no cookies, no local or session storage, no
    IndexedDB, cache storage or service worker."""
    if page.url != "about:blank":
        await page.goto("about:blank")
    await context.clear_cookies()
    cdp = await context.new_cdp_session(page)
    try:
        await cdp.send(
            "Storage.clearDataForOrigin", {"origin": origin, "storageTypes": STORAGE_TYPES}
        )
    finally:
        await cdp.detach()


def _keep_error(errors: list[str], message: Any) -> None:
    if message.type == "error" and "Failed to load resource" not in message.text:
        errors.append(message.text)


# `make screenshots` sets SCREENSHOTS=docs/screenshots: the browser tests marked
# `screenshots` then save the main pages there as they show them, for the README.
SCREENSHOTS = os.environ.get("SCREENSHOTS", "")
SCREENSHOT_MAX_HEIGHT = 1400


async def screenshot(page: Any, name: str) -> None:
    """Save the page as `name`.png in $SCREENSHOTS (its top, at most 1400 px high); nothing
    when the variable is not set."""
    if not SCREENSHOTS:
        return
    directory = Path(SCREENSHOTS)
    await asyncio.to_thread(directory.mkdir, parents=True, exist_ok=True)
    height = await page.evaluate("document.documentElement.scrollHeight")
    width = page.viewport_size["width"]
    clip = {"x": 0, "y": 0, "width": width, "height": min(height, SCREENSHOT_MAX_HEIGHT)}
    await page.screenshot(
        path=directory / f"{name}.png",
        full_page=True,
        clip=clip,
        animations="disabled",
        caret="hide",
    )


# axe-core's run as axe-playwright-python makes it (its default options), returning only the
# violations: the passes, incomplete and inapplicable rules are never read, and sending them
# back doubled the run's time.
AXE_RUN = "options => axe.run(document, options).then(results => results.violations)"
# axe-core served by the test site, cacheable: the browser compiles its 0.5 MB once per
# module's context and reuses the compiled code (each evaluation of the text took 0.1-0.3 s).
AXE_PATH = "/__tests__/axe.min.js"


async def _axe_script(_: Request) -> Response:
    from axe_playwright_python.base import AXE_SCRIPT

    cache = {"Cache-Control": "public, max-age=3600"}
    return Response(AXE_SCRIPT, media_type="text/javascript", headers=cache)


AXE_OPTIONS = {"resultTypes": ["violations"]}


async def assert_accessible(page: Any) -> None:
    """axe-core on the page as shown: no violation of impact serious or critical."""
    # Added once per document: a part swapped in place by htmx keeps it.
    if not await page.evaluate("typeof window.axe === 'object'"):
        if page.url.startswith("http"):
            await page.add_script_tag(url=AXE_PATH)
        else:  # a page set in place (about:blank), outside the site
            from axe_playwright_python.base import AXE_SCRIPT

            await page.evaluate(AXE_SCRIPT)
    violations = await page.evaluate(AXE_RUN, AXE_OPTIONS)
    blocking = [
        f"{v['id']} ({v['impact']}): {v['help']} -> {[n['target'] for n in v['nodes']]}"
        for v in violations
        if v.get("impact") in BLOCKING_IMPACTS
    ]
    assert not blocking, f"{page.url}:\n" + "\n".join(blocking)


def unique_email() -> str:
    return f"inconnu-{uuid.uuid4().hex[:6]}@psad.filrouge.fr"
