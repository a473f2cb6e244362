"""« Signalements »: a partner refers a young person through the referral service."""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from filrouge.store.engine import transaction
from filrouge.store.models import Case, CaseIdentity
from tests.pages.conftest import Site, assert_accessible, screenshot
from tests.pages.test_admin import _error
from tests.pages.test_pages_http import _hidden, _log_in
from tests.support.territory import TerritoryAllocator


def _ine() -> str:
    return f"{uuid.uuid4().int % 10**10:010d}K"


def _young(postal_code: str, ine: str | None = None) -> dict[str, str]:
    return {
        "source": "cio",
        "last_name": "Bernard",
        "first_name": "Inès",
        "birth_date": "2008-03-04",
        "ine": ine or _ine(),
        "postal_code": postal_code,
    }


async def _form(http: httpx.AsyncClient) -> dict[str, str]:
    page = await http.get("/signalements")
    assert page.status_code == 200
    return {"csrf_token": _hidden(page.text, "csrf_token"), "cle": _hidden(page.text, "cle")}


def _acknowledgement(html: str) -> str:
    match = re.search(r'id="accuse-reception">.*?<p>(.*?)</p>', html, re.S)
    assert match, "no acknowledgement"
    return match.group(1)


async def _cases_of(site: Site, ine: str) -> int:
    async with transaction(site.api.sessions) as session:
        query = select(func.count()).select_from(CaseIdentity).where(CaseIdentity.ine == ine)
        return int(await session.scalar(query) or 0)


async def test_a_referral_is_recorded_once_and_refused_by_field(
    site: Site, territories: TerritoryAllocator
) -> None:
    land = territories.territory()
    team = await site.api.team(territory=land.claim())
    partner = await site.with_password(team.partner.id)
    async with site.client() as http:
        await _log_in(http, partner)
        hidden = await _form(http)
        bad = {
            "source": "inconnue",
            "last_name": "",
            "birth_date": "2015-01-01",
            "postal_code": "350",
        }
        refused = await http.post("/signalements", data=bad | hidden)
        assert refused.status_code == 422
        assert _error(refused.text, "last_name") == "Champ obligatoire."
        assert _error(refused.text, "first_name") == "Champ obligatoire."
        assert _error(refused.text, "source") == "Valeur non autorisée."
        assert 'href="#last_name"' in refused.text, "the summary links to each field"
        siei = await http.post(
            "/signalements", data=_young(land.postal_code) | {"source": "siei"} | hidden
        )
        assert _error(siei.text, "source").startswith("Une liste SIEI s'importe en entier")
        young = _young(land.postal_code) | {"birth_date": "2015-01-01", "postal_code": "350"}
        refused = await http.post("/signalements", data=young | hidden)
        assert _error(refused.text, "birth_date").startswith("Le jeune a moins de 16 ans")
        young = _young(land.postal_code) | {"postal_code": "350"}
        refused = await http.post("/signalements", data=young | hidden)
        assert _error(refused.text, "postal_code") != "" and young["ine"] not in _error(
            refused.text, "postal_code"
        )
        young = _young(land.postal_code)
        done = await http.post("/signalements", data=young | hidden)
        assert done.status_code == 200
        assert _acknowledgement(done.text).startswith("Signalement enregistré")
        assert young["ine"] not in done.text.split('id="formulaire-signalement"')[1], "a new form"
        again = await http.post("/signalements", data=young | hidden)
        assert _acknowledgement(again.text) == _acknowledgement(done.text)
    assert await _cases_of(site, young["ine"]) == 1, "the same form sent twice: one case"
    async with transaction(site.api.sessions) as session:
        platform = await session.scalar(
            select(Case.platform_id)
            .join(CaseIdentity, CaseIdentity.case_id == Case.id)
            .where(CaseIdentity.ine == young["ine"])
        )
    assert platform == team.platform_id


async def test_the_answer_is_the_same_whatever_another_platform_knows(
    site: Site, territories: TerritoryAllocator
) -> None:
    land = territories.territory()
    ours, theirs = await site.api.team(territory=land.claim()), await site.api.team()
    known = _ine()
    await site.api.create_case(
        theirs,
        person={
            "last_name": "Autre",
            "first_name": "Léa",
            "birth_date": "2007-01-02",
            "ine": known,
        },
    )
    partner = await site.with_password(ours.partner.id)
    answers = []
    async with site.client() as http:
        await _log_in(http, partner)
        for ine in (known, _ine()):
            answer = await http.post(
                "/signalements", data=_young(land.postal_code, ine) | await _form(http)
            )
            assert answer.status_code == 200
            answers.append(_acknowledgement(answer.text))
    assert answers[0] == answers[1]


async def test_the_referral_page_is_for_partners_only(site: Site) -> None:
    for account in await site.accounts("referent", "coordinateur", "pilote", "admin"):
        async with site.client() as http:
            await _log_in(http, account)
            assert (await http.get("/signalements")).status_code == 403, account.role


@pytest.mark.screenshots
async def test_a_partner_refers_a_young_person_in_the_browser(
    page: Any, site: Site, territories: TerritoryAllocator
) -> None:
    land = territories.territory()
    team = await site.api.team(territory=land.claim())
    partner = await site.with_password(team.partner.id)
    await site.log_in(page, partner, "/", "/signalements")  # the home page sends them there
    await assert_accessible(page)
    await page.locator("#source").select_option("etablissement")
    await page.locator("#last_name").fill("Bernard")
    await page.get_by_role("button", name="Envoyer le signalement").click()
    summary = page.locator("#erreurs-signalement")
    await summary.wait_for()
    assert await page.locator("#first_name").get_attribute("aria-invalid") == "true"
    await assert_accessible(page)
    await page.locator("#first_name").fill("Inès")
    await page.locator("#birth_date").fill("2008-03-04")
    await page.locator("#postal_code").fill(land.postal_code)
    await page.get_by_role("button", name="Envoyer le signalement").click()
    done = page.locator("#accuse-reception")
    await done.wait_for()
    assert "Signalement enregistré" in await done.inner_text()
    assert await page.locator("#last_name").input_value() == "", "a blank form for the next one"
    await assert_accessible(page)
    await screenshot(page, "signalement")
