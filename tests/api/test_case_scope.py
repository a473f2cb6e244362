"""Case scope: a référent acts on their own cases, reads their structure's, sees no others."""

from tests.api.conftest import Api

ATTEMPT = {"channel": "telephone", "result": "pas_de_reponse"}


async def test_referent_acts_on_own_case_and_only_reads_a_colleagues(api: Api) -> None:
    team = await api.team()
    case = await api.create_case(team)
    owner = team.member(case["referent_id"])
    colleague = next(r for r in team.ml_referents if r.id != owner.id)

    assert (await api.case(case["id"], colleague))["id"] == case["id"]
    refused = await api.step(case["id"], "contact-attempts", ATTEMPT, colleague, expect=403)
    assert "lecture seule" in refused["message"]
    await api.step(case["id"], "contact-attempts", ATTEMPT, owner)


async def test_referent_of_another_structure_does_not_see_the_case(api: Api) -> None:
    team = await api.team()
    case = await api.create_case(team)  # an adult: Mission locale
    outsider = team.mlds_referent

    read = await api.http.get(f"/cases/{case['id']}", headers=outsider.headers)
    acted = await api.http.post(
        f"/cases/{case['id']}/contact-attempts", json=ATTEMPT, headers=outsider.headers
    )
    listed = await api.http.get("/cases", headers=outsider.headers)

    assert read.status_code == 404
    assert acted.status_code == 404
    assert read.json() == acted.json()
    assert case["id"] not in [c["id"] for c in listed.json()["items"]]


async def test_pilot_and_admin_never_list_cases(api: Api) -> None:
    team = await api.team()
    await api.create_case(team)
    pilot = await api.user("pilote", None)

    for who in (pilot, api.admin):
        listed = await api.http.get("/cases", headers=who.headers)
        assert listed.status_code == 403
