"""The decision queue over HTTP: the proposal, then valider / modifier / réunion in place."""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
import pytest

from api.pages import decisions
from tests.api.conftest import Team
from tests.pages.conftest import Account, Site
from tests.pages.test_pages_http import _hidden, _log_in
from tests.support.pathway import walk


async def case_waiting_for_a_decision(site: Site) -> tuple[Team, Account, dict[str, Any]]:
    """A case walked through the usual pathway up to its proposal (an E2C)."""
    team = await site.api.team()
    case = await site.api.create_case(team)
    await walk(site.api, team, case, through="proposals")
    return team, await site.with_password(team.coordinator.id), case


def _queued(html: str) -> list[str]:
    return re.findall(r'data-decision="([^"]+)"', html)


async def _decide(
    http: httpx.AsyncClient, case_id: str, decision: str, htmx: bool = True
) -> httpx.Response:
    page = await http.get("/plateforme/decisions")
    body = {
        "csrf_token": _hidden(page.text, "csrf_token"),
        "cle": uuid.uuid4().hex,  # each form's own idempotency key
        "decision": decision,
    }
    headers = {"HX-Request": "true"} if htmx else {}
    return await http.post(f"/plateforme/decisions/{case_id}", data=body, headers=headers)


async def test_the_queue_shows_the_proposal_and_decides_in_place(site: Site) -> None:
    team, coordinator, case = await case_waiting_for_a_decision(site)
    async with site.client() as http:
        await _log_in(http, coordinator)
        page = await http.get("/plateforme/decisions")
        assert page.status_code == 200 and _queued(page.text) == [case["id"]]
        assert "École de la 2e chance, E2C, à partir du " in page.text
        assert page.text.count('name="decision"') == 3, "one button per decision"
        meeting = await _decide(http, case["id"], "commission")
        assert meeting.status_code == 200
        assert meeting.text.lstrip().startswith('<div id="file-decisions"')
        assert "inscrire en réunion de plateforme." in meeting.text
        assert _queued(meeting.text) == [case["id"]], "still waiting, for the meeting"
        assert "Inscrit à la réunion de plateforme" in meeting.text
        approved = await _decide(http, case["id"], "valider")
        assert "Décision enregistrée pour le dossier" in approved.text
        assert _queued(approved.text) == []
        late = await _decide(http, case["id"], "valider")
        assert late.status_code == 409, "the case is no longer waiting"
    state = await site.api.case(case["id"], team.coordinator)
    assert state["stage"] == "entree"


async def test_a_decision_without_its_choice_is_refused_in_french(site: Site) -> None:
    _, coordinator, case = await case_waiting_for_a_decision(site)
    async with site.client() as http:
        await _log_in(http, coordinator)
        refused = await _decide(http, case["id"], "")
        assert refused.status_code == 422
        assert 'role="alert"' in refused.text and _queued(refused.text) == [case["id"]]
        plain = await _decide(http, case["id"], "modifier", htmx=False)
        assert plain.status_code == 200 and "<html" in plain.text
        assert "demander une modification." in plain.text


async def test_only_the_platform_coordinator_decides(site: Site) -> None:
    team, _, case = await case_waiting_for_a_decision(site)
    stranger = await site.account("coordinateur")
    async with site.client() as http:
        await _log_in(http, stranger)
        assert case["id"] not in (await http.get("/plateforme/decisions")).text
        assert (await _decide(http, case["id"], "valider")).status_code == 404
    referent = await site.with_password(case["referent_id"])
    async with site.client() as http:
        await _log_in(http, referent)
        assert (await http.get("/plateforme/decisions")).status_code == 403
    assert (await site.api.case(case["id"], team.coordinator))["stage"] == "decision"


async def test_the_queue_comes_in_pages_and_a_decision_keeps_its_page(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(decisions, "SHOWN", 2)  # two a page instead of twenty
    team = await site.api.team()
    waiting = []
    for _ in range(3):
        case = await site.api.create_case(team)
        await walk(site.api, team, case, through="proposals")
        waiting.append(case["id"])
    coordinator = await site.with_password(team.coordinator.id)
    async with site.client() as http:
        await _log_in(http, coordinator)
        first = (await http.get("/plateforme/decisions")).text
        second = (await http.get("/plateforme/decisions?page=2")).text
        assert _queued(first) + _queued(second) == waiting, "the longest waiting first"
        assert "3 propositions attendent votre décision ; ici de la 1re à la 2e, des plus" in first
        assert "3 propositions attendent votre décision ; ici la 3e, des plus anciennes" in second
        assert 'href="/plateforme/decisions?page=2"' in first
        assert 'href="/plateforme/decisions?page=1"' in second
        assert f'action="/plateforme/decisions/{waiting[2]}?page=2"' in second
        body = {"csrf_token": _hidden(second, "csrf_token"), "cle": uuid.uuid4().hex}
        decided = await http.post(
            f"/plateforme/decisions/{waiting[2]}?page=2",
            data=body | {"decision": "valider"},
            headers={"HX-Request": "true"},
        )
        assert "Décision enregistrée pour le dossier" in decided.text
        assert _queued(decided.text) == waiting[:2], "page 2 emptied: the last page comes back"
        assert "2 propositions attendent votre décision." in decided.text
