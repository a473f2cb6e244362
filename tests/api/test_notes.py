"""Notes: written and read inside the author's platform, with a warning on sensitive data."""

from tests.api.conftest import Api


async def test_a_note_is_added_with_a_warning_and_read_back(api: Api) -> None:
    team = await api.team()
    case = await api.create_case(team)
    owner = team.member(case["referent_id"])

    created = await api.http.post(
        f"/cases/{case['id']}/notes", json={"text": "Rappeler mardi."}, headers=owner.headers
    )
    listed = await api.http.get(f"/cases/{case['id']}/notes", headers=team.coordinator.headers)

    assert created.status_code == 201, created.text
    body = created.json()
    assert body["note"]["text"] == "Rappeler mardi."
    assert body["note"]["author_id"] == owner.id
    for word in ("santé", "infraction", "nationalité", "situation familiale"):
        assert word in body["warning"]
    assert [n["text"] for n in listed.json()] == ["Rappeler mardi."]
    log = await api.http.get(f"/cases/{case['id']}/access-log", headers=team.coordinator.headers)
    assert "notes" in [entry["view"] for entry in log.json()["items"]]


async def test_notes_stay_inside_the_platform_and_out_of_other_roles(api: Api) -> None:
    team, other = await api.team(), await api.team()
    case = await api.create_case(team)
    await api.http.post(
        f"/cases/{case['id']}/notes", json={"text": "Interne."}, headers=team.coordinator.headers
    )
    pilot = await api.user("pilote", None)

    foreign = await api.http.get(f"/cases/{case['id']}/notes", headers=other.coordinator.headers)
    outsider = await api.http.get(f"/cases/{case['id']}/notes", headers=team.mlds_referent.headers)
    for who, status in ((pilot, 403), (team.partner, 403), (api.admin, 403)):
        response = await api.http.get(f"/cases/{case['id']}/notes", headers=who.headers)
        assert response.status_code == status

    assert foreign.status_code == 404
    assert outsider.status_code == 404


async def test_a_note_is_bounded_and_refuses_forbidden_fields(api: Api) -> None:
    team = await api.team()
    case = await api.create_case(team)
    path, headers = f"/cases/{case['id']}/notes", team.coordinator.headers

    too_long = await api.http.post(path, json={"text": "x" * 2001}, headers=headers)
    empty = await api.http.post(path, json={"text": " "}, headers=headers)
    forbidden = await api.http.post(path, json={"text": "ok", "sante": "x"}, headers=headers)

    assert too_long.status_code == 422
    assert empty.status_code == 422
    assert forbidden.json()["code"] == "categorie_interdite"
