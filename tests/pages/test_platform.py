"""The coordinator's dashboard and the platform's cases with bulk reassignment, over HTTP."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from sqlalchemy import update

from filrouge.core.clock import utcnow
from filrouge.core.domain import Stage
from filrouge.store.engine import transaction
from filrouge.store.models import Case, CaseIdentity
from tests.api.conftest import Team
from tests.pages.conftest import Account, Site
from tests.pages.test_pages_http import _hidden, _log_in
from tests.support.waiting import eventually


async def _set(site: Site, case_id: str, **values: Any) -> None:
    """Test setup: put a case's read model where the test needs it."""
    async with transaction(site.api.sessions) as session:
        await session.execute(update(Case).where(Case.id == case_id).values(**values))


async def _platform_with_cases(site: Site) -> tuple[Team, Account, list[str]]:
    """Six cases: to route, in decision, unreachable, escalated, late, and one up to date."""
    team = await site.api.team()
    ids = [(await site.api.create_case(team))["id"] for _ in range(6)]
    now, later = utcnow(), utcnow() + timedelta(days=5)
    for case_id in ids:
        await _set(site, case_id, next_deadline_at=later, overdue_since=None)
    await _set(site, ids[0], stage=Stage.A_ROUTER.value, referent_id=None, structure_id=None)
    await _set(site, ids[1], stage=Stage.DECISION.value)
    await _set(site, ids[2], stage=Stage.INJOIGNABLE.value)
    await _set(site, ids[3], escalated_since=now, overdue_since=now)
    await _set(site, ids[4], next_deadline_at=now - timedelta(hours=1))
    coordinator = await site.with_password(team.coordinator.id)
    return team, coordinator, ids


def _count(html: str, tile: str) -> int:
    match = re.search(rf'data-count="{tile}">(\d+)<', html)
    assert match, f"no tile {tile}"
    return int(match.group(1))


def _listed(html: str) -> list[str]:
    return re.findall(r'data-case="([^"]+)"', html)


async def test_the_dashboard_counts_what_waits_with_links(site: Site) -> None:
    team, coordinator, ids = await _platform_with_cases(site)
    await _platform_with_cases(site)  # another platform: never counted here
    async with site.client() as http:
        await _log_in(http, coordinator)
        page = await http.get("/plateforme")
        assert page.status_code == 200
        counts = {t: _count(page.text, t) for t in ("a-router", "decisions", "injoignables")}
        assert counts == {"a-router": 1, "decisions": 1, "injoignables": 1}
        assert _count(page.text, "alertes") == 1
        assert _count(page.text, "en-retard") == 2
        late = dict(re.findall(r'data-late="([^"]+)">(\d+)<', page.text))
        assert sum(int(n) for n in late.values()) == 2
        assert set(late) <= {r.id for r in team.ml_referents}
        for href in ("?etape=a_router", "?alerte=true", "?etape=decision", "?en_retard=true"):
            assert f'href="/plateforme/dossiers{href}"' in page.text
        # Each number leads to the list it counts.
        escalated = await http.get("/plateforme/dossiers", params={"alerte": "true"})
        assert _listed(escalated.text) == [ids[3]]
        overdue = await http.get("/plateforme/dossiers", params={"en_retard": "true"})
        assert set(_listed(overdue.text)) == {ids[3], ids[4]}
        referent, n = next(iter(late.items()))
        mine = await http.get("/plateforme/dossiers?referent=" + referent + "&en_retard=true")
        assert len(_listed(mine.text)) == int(n)


async def test_the_list_filters_and_never_shows_another_platform(site: Site) -> None:
    _, coordinator, ids = await _platform_with_cases(site)
    _, _, others = await _platform_with_cases(site)
    async with site.client() as http:
        await _log_in(http, coordinator)
        everything = await http.get("/plateforme/dossiers")
        assert set(_listed(everything.text)) == set(ids)
        assert not set(others) & set(_listed(everything.text))
        decision = await http.get("/plateforme/dossiers", params={"etape": "decision"})
        assert _listed(decision.text) == [ids[1]]
        junk = await http.get("/plateforme/dossiers", params={"etape": "x", "page": "-3"})
        assert junk.status_code == 200 and set(_listed(junk.text)) == set(ids)
        part = await http.get("/plateforme/dossiers", headers={"HX-Request": "true"})
        assert part.text.lstrip().startswith('<div id="resultats"')


async def test_bulk_reassignment_assigns_each_ticked_case(site: Site) -> None:
    team, coordinator, ids = await _platform_with_cases(site)
    _, _, others = await _platform_with_cases(site)
    target = team.mlds_referent.id
    async with site.client() as http:
        await _log_in(http, coordinator)
        page = await http.get("/plateforme/dossiers")
        body = {
            "csrf_token": _hidden(page.text, "csrf_token"),
            "cle": _hidden(page.text, "cle"),
            "dossiers": [ids[0], ids[5], others[0]],
            "nouveau_referent": target,
        }
        done = await http.post("/plateforme/dossiers/reattribuer", data=body)
        assert done.status_code == 200, done.text
        assert "2 dossiers réattribués." in done.text
        assert f"Dossier {others[0]} : " in done.text, "another platform's case is refused"
        again = await http.post("/plateforme/dossiers/reattribuer", data=body)
        assert "2 dossiers réattribués." in again.text, "a second send answers the same"
        mine = await http.get("/plateforme/dossiers", params={"referent": target})
        assert set(_listed(mine.text)) == {ids[0], ids[5]}
        nobody = body | {"nouveau_referent": "u-inconnu"}
        refused = await http.post("/plateforme/dossiers/reattribuer", data=nobody)
        assert refused.status_code == 422 and "pas actif sur votre plateforme" in refused.text
        unticked = await http.post("/plateforme/dossiers/reattribuer", data=body | {"dossiers": []})
        assert unticked.status_code == 422 and "Cochez au moins un dossier." in unticked.text
        without_token = {k: v for k, v in body.items() if k != "csrf_token"}
        forged = await http.post("/plateforme/dossiers/reattribuer", data=without_token)
        assert forged.status_code == 403


async def test_a_referent_may_not_open_the_platform_pages(site: Site) -> None:
    _, _, ids = await _platform_with_cases(site)
    referent = await site.account("referent")
    async with site.client() as http:
        await _log_in(http, referent)
        token = _hidden((await http.get("/mon-compte")).text, "csrf_token")
        for path in ("/plateforme", "/plateforme/dossiers"):
            assert (await http.get(path)).status_code == 403, path
        body = {"csrf_token": token, "dossiers": ids[0], "nouveau_referent": referent.id}
        posted = await http.post("/plateforme/dossiers/reattribuer", data=body)
        assert posted.status_code == 403


async def test_an_escalation_fired_by_the_case_counts_until_someone_acts(site: Site) -> None:
    policy = {"reminder_no_contact": "PT1S", "escalation_no_contact": "PT2S"}
    team = await site.api.team(policy=policy)
    case = await site.api.create_case(team)
    coordinator = await site.with_password(team.coordinator.id)
    async with site.client() as http:
        await _log_in(http, coordinator)

        async def escalated(expected: int) -> bool:
            page = await http.get("/plateforme")
            return _count(page.text, "alertes") == expected

        await eventually(lambda: escalated(1), within=30, every=0.5)
        listed = await http.get("/plateforme/dossiers", params={"alerte": "true"})
        assert _listed(listed.text) == [case["id"]]
        referent = team.member(case["referent_id"])
        body = {"channel": "telephone", "result": "pas_de_reponse"}
        await site.api.step(case["id"], "contact-attempts", body, referent)
        await eventually(lambda: escalated(0), within=10, every=0.5)


async def test_the_cases_to_route_say_why_they_wait(site: Site) -> None:
    territory, elsewhere = site.api.territories.territory(), site.api.territories.territory()
    team = await site.api.team(territory=territory.claim())
    await site.api.team(territory=elsewhere.claim())
    ids = [(await site.api.create_case(team))["id"] for _ in range(3)]
    for case_id in ids:
        await _set(site, case_id, stage=Stage.A_ROUTER.value, referent_id=None, structure_id=None)
    addresses = {ids[1]: territory.commune, ids[2]: elsewhere.commune}  # ids[0]: none given
    async with transaction(site.api.sessions) as session:
        for case_id, commune in addresses.items():
            to = update(CaseIdentity).where(CaseIdentity.case_id == case_id)
            await session.execute(to.values(commune_insee=commune))
    coordinator = await site.with_password(team.coordinator.id)
    async with site.client() as http:
        await _log_in(http, coordinator)
        page = (await http.get("/plateforme/dossiers", params={"etape": "a_router"})).text
    rows = {case_id: _row(page, case_id) for case_id in ids}
    assert "Aucun : adresse hors de tout territoire" in rows[ids[0]]
    assert "Aucun : aucun référent n’était disponible" in rows[ids[1]]
    assert "Aucun : adresse du territoire d’une autre plateforme" in rows[ids[2]]


def _row(html: str, case_id: str) -> str:
    match = re.search(rf'<tr>(?:(?!</tr>).)*data-case="{case_id}"(?:(?!</tr>).)*</tr>', html, re.S)
    assert match, f"no row for {case_id}"
    return match.group(0)
