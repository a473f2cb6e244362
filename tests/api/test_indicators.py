"""Indicators over HTTP: the pilot sees counts of every platform, a coordinator their own."""

from datetime import date
from typing import Any

from tests.api.conftest import Api, Member
from tests.support.pathway import walk

TODAY = date.today()


async def platform_figures(api: Api, who: Member, platform_id: str) -> dict[str, Any]:
    response = await api.http.get(f"/indicators?platform_id={platform_id}", headers=who.headers)
    assert response.status_code == 200, response.text
    return response.json()["platforms"][0]  # type: ignore[no-any-return]


async def test_indicators_count_the_pathway_without_any_personal_data(api: Api) -> None:
    team = await api.team()
    placed, refusing = await api.create_case(team), await api.create_case(team, source="cio")
    await walk(api, team, placed, through="entry")  # reached, interviewed, in solution
    referent = team.member(refusing["referent_id"])
    await api.step(
        refusing["id"], "contact-attempts", {"channel": "sms", "result": "joint"}, referent
    )
    await api.step(
        refusing["id"], "contact-outcome", {"outcome": "refus", "reason": "Léa Martin"}, referent
    )
    pilot = await api.user("pilote", None)

    response = await api.http.get("/indicators", headers=pilot.headers)
    figures = await platform_figures(api, pilot, team.platform_id)

    assert response.status_code == 200
    assert "Martin" not in response.text and "Léa" not in response.text
    assert team.platform_id in [p["platform_id"] for p in response.json()["platforms"]]
    assert figures["identified"] == 2
    assert figures["followed"] == 1
    assert figures["by_stage"] == {"cloture": 1, "suivi": 1}
    assert figures["reached"] == 2
    assert figures["interviewed"] == 1
    assert figures["in_solution"] == 1
    assert figures["by_source"] == {"cio": 1, "siei": 1}
    assert figures["by_solution_type"] == {"e2c": 1}
    assert figures["closed_by_outcome"] == {"refus": 1}
    assert figures["refusal_rate"] == 0.5
    assert figures["unreachable_rate"] == 0.0
    assert figures["median_days"]["identification_to_first_contact"] is not None
    assert figures == await platform_figures(api, team.coordinator, team.platform_id)


async def test_a_coordinator_sees_only_their_platform_and_staff_none(api: Api) -> None:
    team, other = await api.team(), await api.team()
    await api.create_case(team)

    own = await api.http.get("/indicators", headers=team.coordinator.headers)
    foreign = await api.http.get(
        f"/indicators?platform_id={team.platform_id}", headers=other.coordinator.headers
    )

    assert [p["platform_id"] for p in own.json()["platforms"]] == [team.platform_id]
    assert foreign.status_code == 404
    for who in (team.ml_referents[0], team.partner, api.admin):
        response = await api.http.get("/indicators", headers=who.headers)
        assert response.status_code == 403
