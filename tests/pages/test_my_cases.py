"""« Mes dossiers »: a référent's cases by urgency, filters (htmx and plain GET), search."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from filrouge.core.clock import utcnow
from filrouge.store.engine import transaction
from filrouge.store.models import Case, CaseAccess
from tests.api.conftest import Team
from tests.pages.conftest import Account, Site, assert_accessible, screenshot
from tests.pages.test_pages_http import _hidden, _log_in


def _person(last: str, first: str) -> dict[str, Any]:
    ine = f"{uuid.uuid4().int % 10**10:010d}K"
    return {"last_name": last, "first_name": first, "birth_date": "2004-05-12", "ine": ine}


async def _referent_with_cases(site: Site) -> tuple[Team, Account, list[dict[str, Any]]]:
    """Three cases in one Mission locale; the second one made overdue in the read model."""
    team = await site.api.team()
    people = [_person("Durand", "Léa"), _person("Éluard", "Paul"), _person("Zola", "Émile")]
    cases = [await site.api.create_case(team, person=p) for p in people]
    async with transaction(site.api.sessions) as session:
        for case, person in zip(cases, people, strict=True):
            case["ine"] = person["ine"]
            # Test setup: every case in the référent's structure, deadlines known.
            ahead = timedelta(days=10 if person["last_name"] == "Durand" else 5)
            await session.execute(
                update(Case)
                .where(Case.id == case["id"])
                .values(
                    structure_id=team.ml_referents[0].structure_id,
                    next_deadline_kind="no_contact_reminder",
                    next_deadline_at=utcnow() + ahead,
                )
            )
        late = utcnow() - timedelta(days=2)
        await session.execute(
            update(Case).where(Case.id == cases[1]["id"]).values(overdue_since=late)
        )
    return team, await site.with_password(team.ml_referents[0].id), cases


def _order(html: str, cases: list[dict[str, Any]]) -> list[str]:
    found = re.findall(r'data-case="([^"]+)"', html)
    ids = {c["id"] for c in cases}
    return [i for i in found if i in ids]


async def test_cases_by_urgency_with_filters_and_search(site: Site) -> None:
    _, account, cases = await _referent_with_cases(site)
    durand, eluard, zola = (c["id"] for c in cases)
    async with site.client() as http:
        await _log_in(http, account)
        page = await http.get("/mes-dossiers")
        assert page.status_code == 200
        assert _order(page.text, cases) == [eluard, zola, durand], "overdue, then by deadline"
        assert "En retard" in page.text and "ÉLUARD Paul" in page.text
        assert "Premier contact à établir (relance)" in page.text
        late = await http.get("/mes-dossiers", params={"en_retard": "true"})
        assert _order(late.text, cases) == [eluard]
        stage = await http.get("/mes-dossiers", params={"etape": "cloture"})
        assert _order(stage.text, cases) == []
        token = _hidden(page.text, "csrf_token")
        for text in ("elu", "ELUARD", "pau", cases[2]["ine"]):
            body = {"recherche": text, "csrf_token": token}
            found = await http.post("/mes-dossiers", data=body)
            assert len(_order(found.text, cases)) == 1, text
        headers = _htmx() | {"X-CSRF-Token": token}
        part = await http.post("/mes-dossiers", data={"recherche": "dur"}, headers=headers)
        assert part.text.lstrip().startswith('<div id="resultats"')
        assert "<html" not in part.text and _order(part.text, cases) == [durand]
        # The search is posted: never an address (or an access log line) with a name in it.
        assert 'method="post" action="/mes-dossiers"' in page.text
        refused = await http.post("/mes-dossiers", data={"recherche": "dur"})
        assert refused.status_code == 403, "a search without its CSRF token"
    async with transaction(site.api.sessions) as session:
        views = await session.scalars(
            select(CaseAccess.view).where(
                CaseAccess.case_id == durand, CaseAccess.user_id == account.id
            )
        )
        assert {"worklist", "search"} <= set(views), "the names shown are logged reads"


async def test_the_search_stays_inside_the_platform(site: Site) -> None:
    _, _, cases = await _referent_with_cases(site)
    other = await site.account("referent")
    async with site.client() as http:
        await _log_in(http, other)
        token = _hidden((await http.get("/mes-dossiers")).text, "csrf_token")
        body = {"recherche": cases[0]["ine"], "csrf_token": token}
        found = await http.post("/mes-dossiers", data=body)
        assert found.status_code == 200 and _order(found.text, cases) == []
        assert "Aucun dossier ne correspond." in found.text


def _htmx() -> dict[str, str]:
    return {"HX-Request": "true"}


@pytest.mark.screenshots
async def test_filters_answer_without_reload_in_the_browser(page: Any, site: Site) -> None:
    _, account, _ = await _referent_with_cases(site)
    await site.log_in(page, account, "/mes-dossiers")
    await assert_accessible(page)
    await screenshot(page, "mes-dossiers")
    await page.evaluate("window.sansRechargement = true")
    overdue_only = page.locator("label[for=en_retard]")  # DSFR draws the box on the label
    await overdue_only.click()
    await page.get_by_text("1 dossier.").wait_for()
    assert await page.evaluate("window.sansRechargement === true"), "the page was reloaded"
    await overdue_only.click()
    await page.get_by_text("3 dossiers.").wait_for()
    await page.get_by_label("Rechercher un jeune").fill("zol")
    await page.get_by_text("1 dossier.").wait_for()
    await page.get_by_role("cell", name="ZOLA Émile").wait_for()
    assert await page.get_by_role("row").count() == 2  # the header and Zola
    assert await page.evaluate("window.sansRechargement === true")
    assert "zol" not in page.url
    await assert_accessible(page)


async def test_filters_work_as_a_plain_form(site: Site) -> None:
    _, account, cases = await _referent_with_cases(site)
    async with site.client() as http:
        await _log_in(http, account)
        page = await http.get("/mes-dossiers", params={"etape": "contact"})
        token = _hidden(page.text, "csrf_token")
        body = {"etape": "", "en_retard": "true", "recherche": "", "csrf_token": token}
        posted = await http.post("/mes-dossiers", data=body)
        assert posted.status_code == 200 and "<html" in posted.text
        assert _order(posted.text, cases) == [cases[1]["id"]]


def test_every_deadline_kind_has_a_french_label() -> None:
    from filrouge.core.cases.pathway import DeadlineKind
    from filrouge.core.labels import DEADLINE_LABELS

    assert set(DEADLINE_LABELS) == set(DeadlineKind)
