"""INE matching never crosses a platform's wall (issue 8, item 5)."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

from tests.api.conftest import Api, Member, Team
from tests.api.test_intake_api import csv_bytes, fr
from tests.support.imports import imported
from tests.support.waiting import eventually


def new_ine() -> str:
    return f"{uuid.uuid4().int % 10**10:010d}K"


def person(ine: str, last_name: str = "Martin") -> dict[str, Any]:
    return {"last_name": last_name, "first_name": "Léa", "birth_date": "2005-02-03", "ine": ine}


async def refer(
    api: Api, who: Member, ine: str, last_name: str, postal_code: str
) -> dict[str, Any]:
    young = person(ine, last_name) | {"postal_code": postal_code}
    body = {"source": "cio", "person": young}
    response = await api.http.post("/referrals", json=body, headers=who.headers)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def crossings(api: Api, team: Team) -> list[dict[str, Any]]:
    response = await api.http.get("/crossings", headers=team.coordinator.headers)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def closed_case_of(api: Api, team: Team, ine: str) -> str:
    """A case of `team` for `ine`, closed on a refusal (which starts its retention clock)."""
    case = await api.create_case(team, person=person(ine))
    referent = team.member(case["referent_id"])
    await api.step(case["id"], "close", {"outcome": "refus"}, referent)
    assert (await api.case(case["id"], team.coordinator))["stage"] == "cloture"
    return str(case["id"])


async def test_a_referral_never_touches_another_platforms_case_nor_tells_it_exists(
    api: Api,
) -> None:
    land = api.territories.territory()
    ours, theirs = await api.team(territory=land.claim()), await api.team()
    ine = new_ine()
    their_case = await closed_case_of(api, theirs, ine)
    before = await api.history_kinds(their_case, theirs.coordinator)

    known = await refer(api, ours.partner, ine, "Nimportequi", land.postal_code)
    unknown = await refer(api, ours.partner, new_ine(), "Nimportequi", land.postal_code)

    assert known == unknown
    assert await api.history_kinds(their_case, theirs.coordinator) == before
    closed = await api.case(their_case, theirs.coordinator)
    assert closed["stage"] == "cloture"
    notices = await crossings(api, theirs)
    assert [n["case_id"] for n in notices] == [their_case]
    assert "Nimportequi" not in str(notices) and ine not in str(notices)
    assert ours.platform_id not in str(notices)
    assert await crossings(api, ours) == []


async def test_post_cases_answers_the_same_whatever_another_platform_follows(api: Api) -> None:
    ours, theirs = await api.team(), await api.team()
    ine = new_ine()
    await closed_case_of(api, theirs, ine)
    headers = ours.coordinator.headers

    def body(ine: str) -> dict[str, Any]:
        return {"platform_id": ours.platform_id, "source": "cio", "person": person(ine)}

    known = await api.http.post("/cases", json=body(ine), headers=headers)
    unknown = await api.http.post("/cases", json=body(new_ine()), headers=headers)

    assert known.status_code == unknown.status_code == 201, known.text
    assert known.json()["status"] == unknown.json()["status"] == "created"
    assert known.json()["platform_id"] == ours.platform_id
    assert len(await crossings(api, theirs)) == 1


async def test_an_import_never_reidentifies_another_platforms_case(api: Api) -> None:
    land = api.territories.territory()
    ours, theirs = await api.team(territory=land.claim()), await api.team()
    ine = new_ine()
    their_case = await closed_case_of(api, theirs, ine)
    before = await api.history_kinds(their_case, theirs.coordinator)
    birth = fr(date.today() - timedelta(days=365 * 18))
    content = csv_bytes([[ine, "Autre", "Nom", birth, land.postal_code, ""]])

    done = await imported(api, ours.coordinator, content)

    assert done["status"] == "done" and done["reidentified"] == 0, done
    assert done["created"] == 1, done
    assert await api.history_kinds(their_case, theirs.coordinator) == before
    notices = await eventually(lambda: _some(crossings(api, theirs)), 10)
    assert [n["case_id"] for n in notices] == [their_case]


async def _some(pending: Any) -> Any:
    found = await pending
    return found or None
