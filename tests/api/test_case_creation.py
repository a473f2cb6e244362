"""POST /cases goes through the one creation pipeline: deduplication and territory routing."""

from __future__ import annotations

import random
import uuid
from datetime import date
from typing import Any

import httpx

from tests.api.conftest import Api, Member, Team
from tests.support.waiting import eventually


def new_ine() -> str:
    return f"{random.randrange(10**9, 10**10)}K"


def young(last_name: str = "Martin", **extra: Any) -> dict[str, Any]:
    return {"last_name": last_name, "first_name": "Léa", "birth_date": "2005-02-03"} | extra


async def post_case(
    api: Api, team: Team, person: dict[str, Any], who: Member | None = None
) -> httpx.Response:
    body = {"platform_id": team.platform_id, "source": "cio", "person": person}
    return await api.http.post("/cases", json=body, headers=(who or team.coordinator).headers)


async def test_an_ine_already_followed_answers_exists_and_adds_the_identification(
    api: Api,
) -> None:
    team = await api.team()
    ine = new_ine()
    first = await post_case(api, team, young(ine=ine))
    again = await post_case(api, team, young(ine=ine.lower(), phone="0611223344"))

    assert first.status_code == 201 and first.json()["status"] == "created"
    assert again.status_code == 200, again.text
    assert again.json()["status"] == "exists"
    assert again.json()["id"] == first.json()["id"]
    listed = await api.http.get("/cases", headers=team.coordinator.headers)
    assert listed.json()["total"] == 1

    async def reidentified() -> bool:
        return "reidentified" in await api.history_kinds(first.json()["id"], team.coordinator)

    # The re-identification reaches the case through its workflow, on a possibly loaded server.
    await eventually(reidentified, within=60)


async def test_same_name_and_birth_date_without_ine_waits_for_a_coordinator(api: Api) -> None:
    team = await api.team()
    name = f"Doublon{uuid.uuid4().hex[:6]}"
    first = await post_case(api, team, young(name))
    twin = await post_case(api, team, young(name.upper()))

    assert first.status_code == 201
    assert twin.status_code == 202, twin.text
    assert twin.json()["status"] == "duplicate_review" and "id" not in twin.json()
    reviews = await api.http.get("/duplicates", headers=team.coordinator.headers)
    assert [r["candidate_case_ids"] for r in reviews.json()] == [[first.json()["id"]]]


async def test_an_address_in_another_platforms_territory_routes_the_case_there(
    api: Api,
) -> None:
    ours, foreign = api.territories.territory(), api.territories.territory()
    mine, theirs = ours.commune, foreign.commune
    team = await api.team(territory=ours.claim())
    other = await api.team(territory=foreign.claim())

    here = await post_case(api, team, young(commune_insee=mine, ine=new_ine()))
    there = await post_case(api, team, young(commune_insee=theirs, ine=new_ine()))

    assert here.status_code == 201 and here.json()["platform_id"] == team.platform_id
    assert here.json()["referent_id"] is not None
    assert there.status_code == 202, there.text
    assert there.json() == {
        "status": "transmitted",
        "message": "Signalement enregistré : le jeune relève d'une autre plateforme, qui le "
        "prend en charge.",
    }
    theirs_listed = (await api.http.get("/cases", headers=other.coordinator.headers)).json()
    assert theirs_listed["total"] == 1
    case = theirs_listed["items"][0]
    assert case["platform_id"] == other.platform_id and case["referent_id"] is not None
    mine_listed = (await api.http.get("/cases", headers=team.coordinator.headers)).json()
    assert mine_listed["total"] == 1


async def test_a_young_person_followed_elsewhere_gets_the_same_answer_as_a_new_one(
    api: Api,
) -> None:
    team, other = await api.team(), await api.team()
    ine = new_ine()
    followed = await post_case(api, other, young(ine=ine))
    assert followed.status_code == 201

    reported = await post_case(api, team, young(ine=ine))
    new_one = await post_case(api, team, young(ine=new_ine()))

    # The walls (issue 8, item 5): the other platform's case is not the sender's to change,
    # and the answer is the one a young person nobody follows gets.
    assert reported.status_code == new_one.status_code == 201, reported.text
    assert reported.json()["status"] == new_one.json()["status"] == "created"
    assert reported.json()["id"] != followed.json()["id"]
    assert (await api.http.get("/cases", headers=team.coordinator.headers)).json()["total"] == 2


async def test_creation_checks_the_identity_like_a_list_row(api: Api) -> None:
    team = await api.team()
    today = date.today()
    too_young = young(birth_date=date(today.year - 15, 1, 1).isoformat())

    refused = await post_case(api, team, too_young)
    bad_ine = await post_case(api, team, young(ine="12345678901"))

    assert refused.status_code == 422
    assert refused.json()["message"] == (
        "Le jeune a moins de 16 ans à la date de repérage : il ne peut être suivi."
    )
    assert bad_ine.status_code == 422 and "INE" in bad_ine.json()["message"]
