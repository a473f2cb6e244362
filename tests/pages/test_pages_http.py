"""The pages over plain HTTP: login redirects, CSRF, fragments, assets, French dates."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from api.pages.templating import build_environment
from filrouge.core.local_time import french_date, french_datetime, zone
from filrouge.settings import PagesSettings
from filrouge.store.engine import transaction
from filrouge.store.models import ApiToken
from tests.pages.conftest import PASSWORD, Account, Site

ROOT = Path(__file__).resolve().parents[2]
STATIC, TEMPLATES = ROOT / "static", ROOT / "templates"
STYLESHEET = re.compile(r'<link rel="stylesheet" href="(/static/[^"]+)"')
ICON = re.compile(r"\b(fr-icon-[a-z0-9-]+)")


def _hidden(html: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert match, f"no hidden field {name}"
    return match.group(1)


async def _log_in(http: httpx.AsyncClient, account: Account, next: str = "/") -> httpx.Response:
    form = await http.get("/connexion", params={"next": next})
    token = _hidden(form.text, "csrf_token")
    body = {"email": account.email, "password": PASSWORD, "csrf_token": token, "next": next}
    return await http.post("/connexion", data=body)


async def test_an_unauthenticated_page_redirects_to_login_with_next(site: Site) -> None:
    async with site.client() as http:
        response = await http.get("/mon-compte", params={"onglet": "jetons"})
        assert response.status_code == 303
        assert response.headers["location"] == "/connexion?next=/mon-compte%3Fonglet%3Djetons"
        api = await http.get("/cases")
        assert api.status_code == 401
        assert api.headers["content-type"].startswith("application/json")


async def test_login_goes_back_to_next_and_home_sends_to_the_role_page(site: Site) -> None:
    account = await site.account("referent")
    async with site.client() as http:
        response = await _log_in(http, account, next="/mon-compte")
        assert response.status_code == 303
        assert response.headers["location"] == "/mon-compte"
        home = await http.get("/")
        assert (home.status_code, home.headers["location"]) == (303, "/mes-dossiers")
        cases = await http.get("/mes-dossiers")
        assert cases.status_code == 200
        assert "<h1>Mes dossiers</h1>" in cases.text
        assert "Content-Security-Policy" in cases.headers
        assert "form-action 'self'" in cases.headers["Content-Security-Policy"]


async def test_next_never_leaves_the_site(site: Site) -> None:
    account = await site.account("pilote")
    async with site.client() as http:
        response = await _log_in(http, account, next="//evil.example/x")
        assert response.headers["location"] == "/"


async def test_a_form_without_its_csrf_token_is_refused(site: Site) -> None:
    account = await site.account("coordinateur")
    async with site.client() as http:
        await _log_in(http, account)
        body = {"current_password": PASSWORD, "new_password": "un autre secret assez long"}
        refused = await http.post("/mon-compte/mot-de-passe", data=body)
        assert refused.status_code == 403
        assert refused.headers["content-type"].startswith("text/html")
        assert "Accès refusé" in refused.text
        logout = await http.post("/deconnexion", data={})
        assert logout.status_code == 403
        page = await http.get("/plateforme")
        assert page.status_code == 200, "the session is still open"


async def test_the_login_form_without_its_token_is_refused(site: Site) -> None:
    account = await site.account("admin")
    async with site.client() as http:
        body = {"email": account.email, "password": PASSWORD, "csrf_token": "x"}
        response = await http.post("/connexion", data=body)
        assert response.status_code == 403
        assert "formulaire de connexion a expiré" in response.text


async def test_htmx_gets_the_form_block_only(site: Site) -> None:
    account = await site.account("referent")
    async with site.client() as http:
        await _log_in(http, account)
        page = await http.get("/mon-compte")
        assert 'aria-describedby=""' not in page.text, "a field described by nothing says so"
        token = _hidden(page.text, "csrf_token")
        headers = {"HX-Request": "true", "X-CSRF-Token": token}
        body = {"current_password": "pas le bon", "new_password": "un autre secret assez long"}
        response = await http.post("/mon-compte/mot-de-passe", data=body, headers=headers)
        assert response.status_code == 422
        assert response.text.lstrip().startswith("<form")
        assert "<html" not in response.text
        assert 'id="current_password-erreur"' in response.text
        assert "Mot de passe actuel incorrect." in response.text


async def test_a_page_of_another_role_is_refused_in_html(site: Site) -> None:
    account = await site.account("pilote")
    async with site.client() as http:
        await _log_in(http, account)
        response = await http.get("/mes-dossiers")
        assert response.status_code == 403
        assert response.headers["content-type"].startswith("text/html")


async def test_assets_are_served_by_the_app(site: Site) -> None:
    async with site.client() as http:
        for path in (
            "/static/vendor/dsfr/dsfr.min.css",
            "/static/vendor/dsfr/dsfr.module.min.js",
            "/static/vendor/dsfr/fonts/Marianne-Regular.woff2",
            "/static/vendor/htmx/htmx.min.js",
        ):
            response = await http.get(path)
            assert response.status_code == 200, path
            assert response.headers["cache-control"] == "public, max-age=86400"


async def test_every_icon_the_pages_use_is_drawn_by_a_stylesheet_they_link(site: Site) -> None:
    """DSFR's core stylesheet draws only its components' icons: an `fr-icon-*` class without
    its family's utility stylesheet shows a plain square. Each icon class of the templates
    must be defined, with its SVG shipped, in a stylesheet every page links."""
    async with site.client() as http:
        page = (await http.get("/connexion")).text
    linked = [STATIC / href.removeprefix("/static/") for href in STYLESHEET.findall(page)]
    used = {m for path in TEMPLATES.rglob("*.html") for m in ICON.findall(path.read_text())}
    assert used, "the templates use DSFR icons"
    for icon in sorted(used):
        drawn = [
            (css, url)
            for css in linked
            for url in re.findall(
                rf"\.{icon}:before\{{[^}}]*?mask-image:url\(([^)]+)\)", css.read_text()
            )
        ]
        assert drawn, f"{icon} is drawn by none of {[str(c.relative_to(STATIC)) for c in linked]}"
        for css, url in drawn:
            assert (css.parent / url).resolve().is_file(), f"{icon}: {url} is not shipped"


@pytest.mark.parametrize(
    ("page", "previous", "next", "links", "disabled"),
    [
        (1, None, "/l?page=2", ["/l?page=2"], ["Page précédente"]),
        (2, "/l?page=1", "/l?page=3", ["/l?page=1", "/l?page=3"], []),
        (3, "/l?page=2", None, ["/l?page=2"], ["Page suivante"]),
    ],
)
def test_one_pagination_for_every_list(
    page: int, previous: str | None, next: str | None, links: list[str], disabled: list[str]
) -> None:
    macros = build_environment(PagesSettings()).get_template("_macros.html").module
    html = str(macros.pagination(page, previous, next, "Pagination des dossiers"))  # type: ignore[attr-defined]
    assert 'aria-label="Pagination des dossiers"' in html
    assert f'aria-current="page" title="Page {page}">{page}<' in html
    assert re.findall(r'href="([^"]+)"', html) == links
    assert re.findall(r'aria-disabled="true" role="link">([^<]+)<', html) == disabled
    alone = macros.pagination(1, None, None, "Pagination des dossiers")  # type: ignore[attr-defined]
    assert str(alone).strip() == "", "a single page has no pagination"
    more = str(macros.pager(2, True, "/l?etape=contact", "P"))  # type: ignore[attr-defined]
    assert re.findall(r'href="([^"]+)"', more) == [
        "/l?etape=contact&amp;page=1",
        "/l?etape=contact&amp;page=3",
    ]


def test_dates_are_french_in_the_platform_time_zone() -> None:
    paris = zone("Europe/Paris")
    moment = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)
    assert french_date(moment, paris) == "2 mars 2026"
    assert french_datetime(moment, paris) == "2 mars 2026 à 0 h 30"
    assert french_date(datetime(2026, 7, 1, 8, tzinfo=UTC), paris) == "1er juillet 2026"
    assert french_datetime(datetime(2026, 7, 1, 8, 5, tzinfo=UTC), paris).endswith("10 h 05")
    assert french_datetime(moment, "America/Cayenne") == "1er mars 2026 à 20 h 30"
    assert french_datetime(moment, "Indian/Reunion") == "2 mars 2026 à 3 h 30"


async def test_an_answer_leaves_only_once_its_transaction_is_committed(site: Site) -> None:
    """Over real HTTP a client acts on an answer at once (a browser follows a redirect):
    what the answer reports must already be in the database."""
    headers = site.api.admin.headers
    for _ in range(5):
        platform_id = f"psad-{uuid.uuid4().hex[:8]}"
        body = {"id": platform_id, "name": "PSAD commit", "region": "Occitanie"}
        created = await site.api.http.post("/admin/platforms", json=body, headers=headers)
        assert created.status_code == 201, created.text
        listed = await site.api.http.get("/admin/platforms", headers=headers)
        assert platform_id in {p["id"] for p in listed.json()}, "not visible yet"


async def test_the_coordinator_start_page_is_the_dashboard(site: Site) -> None:
    team = await site.api.team()
    case = await site.api.create_case(team)
    account = await site.account("coordinateur", team.platform_id)
    async with site.client() as http:
        await _log_in(http, account)
        page = await http.get("/plateforme")
        listed = await http.get("/plateforme/dossiers")
    assert page.status_code == 200 and "<h1>Ma plateforme</h1>" in page.text
    assert "Martin" not in page.text, "the dashboard counts, it names nobody"
    assert case["id"] in listed.text and "MARTIN Léa" in listed.text


async def test_pages_show_times_in_the_user_s_platform_time_zone(site: Site) -> None:
    team = await site.api.team()
    zone_path = f"/admin/platforms/{team.platform_id}/time-zone"
    chosen = await site.api.http.put(
        zone_path, json={"time_zone": "Indian/Reunion"}, headers=site.api.admin.headers
    )
    assert chosen.status_code == 200, chosen.text
    account = await site.with_password(team.coordinator.id)
    async with transaction(site.api.sessions) as session:
        created = await session.scalar(
            select(ApiToken.created_at).where(ApiToken.user_id == account.id)
        )
    assert created is not None

    async with site.client() as http:
        await _log_in(http, account)
        page = await http.get("/mon-compte")

    assert french_datetime(created, "Indian/Reunion") in page.text
    assert french_datetime(created, "Europe/Paris") not in page.text
