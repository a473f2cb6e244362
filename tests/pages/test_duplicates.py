"""The possible duplicates page over HTTP: side by side, merge, keep apart, walls."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from api.pages import duplicates
from filrouge.store.engine import transaction
from filrouge.store.models import CaseAccess
from tests.api.conftest import Team
from tests.api.test_intake_api import person, refer, unique_name
from tests.pages.conftest import Account, Site
from tests.pages.test_imports import coordinator_with_land
from tests.pages.test_pages_http import _hidden, _log_in


async def a_possible_duplicate(site: Site) -> tuple[Team, Account, str, str]:
    """A known young person, then a partner's referral of the same name and birth date."""
    team, coordinator, commune = await coordinator_with_land(site)
    name = unique_name("Lambert")
    known = await refer(site.api, team.coordinator, person(name, commune))
    twin = await refer(site.api, team.partner, person(name, commune, phone="0611223344"))
    assert twin["status"] == "duplicate_review"
    return team, coordinator, known["case_id"], name


def _reviews(html: str) -> list[str]:
    return re.findall(r'data-review="([^"]+)"', html)


async def test_side_by_side_then_merge(site: Site) -> None:
    _, coordinator, case_id, name = await a_possible_duplicate(site)
    async with site.client() as http:
        await _log_in(http, coordinator)
        page = await http.get("/plateforme/doublons")
        assert page.status_code == 200
        [review_id] = _reviews(page.text)
        assert page.text.count(name) == 2, "the new identification beside the known case"
        assert f"Dossier {case_id}" in page.text
        assert "0611223344" not in page.text, "contact details are not needed to decide"
        token = _hidden(page.text, "csrf_token")
        body = {"csrf_token": token, "dossier": "c-autre"}
        wrong = await http.post(f"/plateforme/doublons/{review_id}/fusionner", data=body)
        assert wrong.status_code == 409 and "ne fait pas partie des dossiers" in wrong.text
        body["dossier"] = case_id
        headers = {"HX-Request": "true"}
        merged = await http.post(
            f"/plateforme/doublons/{review_id}/fusionner", data=body, headers=headers
        )
        assert merged.status_code == 200
        assert merged.text.lstrip().startswith('<div id="doublons"')
        assert f"Repérage ajouté au dossier {case_id}." in merged.text
        assert _reviews(merged.text) == []
    async with transaction(site.api.sessions) as session:
        views = await session.scalars(
            select(CaseAccess.view).where(
                CaseAccess.case_id == case_id, CaseAccess.user_id == coordinator.id
            )
        )
        assert "duplicate_review" in set(views), "the known case shown is a logged read"


async def test_keep_apart_opens_a_case(site: Site) -> None:
    _, coordinator, _, _ = await a_possible_duplicate(site)
    async with site.client() as http:
        await _log_in(http, coordinator)
        page = await http.get("/plateforme/doublons")
        [review_id] = _reviews(page.text)
        body = {"csrf_token": _hidden(page.text, "csrf_token")}
        apart = await http.post(f"/plateforme/doublons/{review_id}/separer", data=body)
        assert apart.status_code == 200 and "<html" in apart.text
        assert "Gardé séparé : le dossier " in apart.text
        assert "Aucun doublon possible n’attend de décision." in apart.text
        again = await http.post(f"/plateforme/doublons/{review_id}/fusionner", data=body)
        assert again.status_code == 409, "decided once"
        forged = await http.post(f"/plateforme/doublons/{review_id}/separer", data={})
        assert forged.status_code == 403


async def test_another_platform_never_sees_or_decides_a_review(site: Site) -> None:
    _, coordinator, _, name = await a_possible_duplicate(site)
    async with site.client() as http:
        await _log_in(http, coordinator)
        [review_id] = _reviews((await http.get("/plateforme/doublons")).text)
    _, stranger, _ = await coordinator_with_land(site)
    async with site.client() as http:
        await _log_in(http, stranger)
        page = await http.get("/plateforme/doublons")
        assert name not in page.text and review_id not in page.text
        body = {"csrf_token": _hidden(page.text, "csrf_token")}
        refused = await http.post(f"/plateforme/doublons/{review_id}/separer", data=body)
        assert refused.status_code == 404
    referent = await site.account("referent")
    async with site.client() as http:
        await _log_in(http, referent)
        assert (await http.get("/plateforme/doublons")).status_code == 403


async def test_the_possible_duplicates_come_in_pages_and_a_decision_keeps_its_page(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(duplicates, "SHOWN", 1)  # one a page instead of twenty
    team, coordinator, commune = await coordinator_with_land(site)
    for _ in range(2):
        name = unique_name("Lambert")
        await refer(site.api, team.coordinator, person(name, commune))
        twin = await refer(site.api, team.partner, person(name, commune))
        assert twin["status"] == "duplicate_review"
    async with site.client() as http:
        await _log_in(http, coordinator)
        first = (await http.get("/plateforme/doublons")).text
        second = (await http.get("/plateforme/doublons?page=2")).text
        [older], [newer] = _reviews(first), _reviews(second)
        assert older != newer
        assert "Les plus anciens d’abord, 1 par page." in first
        assert 'href="/plateforme/doublons?page=2"' in first
        assert 'href="/plateforme/doublons?page=1"' in second
        action = f"/plateforme/doublons/{newer}/separer?page=2"
        assert f'action="{action}"' in second
        body = {"csrf_token": _hidden(second, "csrf_token")}
        kept = await http.post(action, data=body, headers={"HX-Request": "true"})
        assert kept.status_code == 200
        assert _reviews(kept.text) == [older], "page 2 emptied: page 1 comes back"
        assert 'href="/plateforme/doublons?page=2"' not in kept.text
