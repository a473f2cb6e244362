"""Every read of a case's personal data is logged; coordinators read their platform's log."""

from tests.api.conftest import Api


async def test_reads_of_a_case_are_logged_for_the_coordinator(api: Api) -> None:
    team = await api.team()
    case = await api.create_case(team)
    referent = team.member(case["referent_id"])
    await api.case(case["id"], referent)
    history = await api.http.get(f"/cases/{case['id']}/history", headers=referent.headers)
    assert history.status_code == 200

    log = await api.http.get(f"/cases/{case['id']}/access-log", headers=team.coordinator.headers)

    assert log.status_code == 200
    entries = [(e["user_id"], e["role"], e["view"]) for e in log.json()["items"]]
    assert entries == [(referent.id, "referent", "history"), (referent.id, "referent", "case")]


async def test_access_log_is_for_coordinators_of_the_platform_only(api: Api) -> None:
    team, other = await api.team(), await api.team()
    case = await api.create_case(team)
    await api.case(case["id"], team.coordinator)

    by_referent = await api.http.get(
        f"/cases/{case['id']}/access-log", headers=team.ml_referents[0].headers
    )
    by_other = await api.http.get(
        f"/cases/{case['id']}/access-log", headers=other.coordinator.headers
    )
    other_platform = await api.http.get("/access-log", headers=other.coordinator.headers)
    own_platform = await api.http.get("/access-log", headers=team.coordinator.headers)

    assert by_referent.status_code == 403
    assert by_other.status_code == 404
    assert case["id"] not in [e["case_id"] for e in other_platform.json()["items"]]
    assert [e["case_id"] for e in own_platform.json()["items"]] == [case["id"]]
