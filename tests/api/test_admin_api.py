"""Administration endpoints: platforms and their timer policy, structures, users and tokens."""

from __future__ import annotations

import uuid
from typing import Any

from tests.api.conftest import Api


def _platform_id() -> str:
    return f"psad-{uuid.uuid4().hex[:8]}"


async def test_platform_is_created_with_its_policy_merged_over_the_defaults(api: Api) -> None:
    body = {
        "id": _platform_id(),
        "name": "PSAD Toulouse",
        "region": "Occitanie",
        "territory": {"communes": ["31555"], "postal_codes": ["31000"], "departements": ["31"]},
        "policy": {"reminder_no_contact": "P3D", "follow_up_checks": ["P1M", "P6M"]},
    }
    created = await api.admin_post("/admin/platforms", body)

    assert created["territory"]["communes"] == ["31555"]
    assert created["policy"]["reminder_no_contact"] == "P3D"
    assert created["policy"]["follow_up_checks"] == ["P1M", "P6M"]
    assert created["policy"]["escalation_no_contact"] == "P10D"  # default kept
    listed = await api.http.get("/admin/platforms", headers=api.admin.headers)
    assert body["id"] in {p["id"] for p in listed.json()}


async def test_duplicate_platform_is_a_conflict(api: Api) -> None:
    body = {"id": _platform_id(), "name": "PSAD"}
    await api.admin_post("/admin/platforms", body)

    again = await api.http.post("/admin/platforms", json=body, headers=api.admin.headers)

    assert again.status_code == 409
    assert again.json()["message"] == "Une plateforme porte déjà cet identifiant."


async def test_invalid_iso_duration_in_a_policy_is_refused_in_french(api: Api) -> None:
    body = {"id": _platform_id(), "name": "PSAD", "policy": {"reminder_no_contact": "5 jours"}}

    response = await api.http.post("/admin/platforms", json=body, headers=api.admin.headers)

    assert response.status_code == 422
    message = response.json()["message"]
    assert message.startswith("Politique de délais invalide")
    assert "durée ISO 8601 invalide" in message
    listed = await api.http.get("/admin/platforms", headers=api.admin.headers)
    assert body["id"] not in {p["id"] for p in listed.json()}


async def test_policy_values_out_of_range_are_refused(api: Api) -> None:
    policies: list[dict[str, Any]] = [
        {"max_failed_attempts": 0},
        {"follow_up_checks": []},
        {"retention": "P"},
    ]
    for policy in policies:
        body = {"id": _platform_id(), "name": "PSAD", "policy": policy}
        response = await api.http.post("/admin/platforms", json=body, headers=api.admin.headers)
        assert response.status_code == 422, policy
        assert "invalide" in response.json()["message"]


async def test_policy_can_be_changed_and_is_validated(api: Api) -> None:
    platform_id = _platform_id()
    await api.admin_post("/admin/platforms", {"id": platform_id, "name": "PSAD"})
    url = f"/admin/platforms/{platform_id}/policy"

    changed = await api.http.put(
        url, json={"decision_escalation": "PT30S"}, headers=api.admin.headers
    )
    refused = await api.http.put(url, json={"decision_escalation": "7j"}, headers=api.admin.headers)
    unknown = await api.http.put("/admin/platforms/nope/policy", json={}, headers=api.admin.headers)

    assert changed.status_code == 200
    assert changed.json()["policy"]["decision_escalation"] == "PT30S"
    assert refused.status_code == 422
    assert "durée ISO 8601 invalide" in refused.json()["message"]
    assert unknown.status_code == 404


async def test_malformed_platform_bodies_answer_422_with_details(api: Api) -> None:
    bodies = [
        {"id": "Bad Id!", "name": "PSAD"},
        {"id": _platform_id(), "name": "PSAD", "colour": "blue"},
        {"id": _platform_id(), "name": "PSAD", "territory": {"communes": ["123"]}},
        {"id": _platform_id()},
    ]
    for body in bodies:
        response = await api.http.post("/admin/platforms", json=body, headers=api.admin.headers)
        assert response.status_code == 422, body
        assert response.json()["details"], body


async def test_structures_belong_to_an_existing_platform(api: Api) -> None:
    platform_id = _platform_id()
    await api.admin_post("/admin/platforms", {"id": platform_id, "name": "PSAD"})
    structure = {
        "id": f"ml-{platform_id}",
        "platform_id": platform_id,
        "name": "ML",
        "kind": "mlds",
    }

    created = await api.admin_post("/admin/structures", structure)
    duplicate = await api.http.post("/admin/structures", json=structure, headers=api.admin.headers)
    orphan = await api.http.post(
        "/admin/structures",
        json=structure | {"id": f"x-{platform_id}", "platform_id": "nope"},
        headers=api.admin.headers,
    )
    bad_kind = await api.http.post(
        "/admin/structures",
        json=structure | {"id": f"y-{platform_id}", "kind": "lycee"},
        headers=api.admin.headers,
    )
    listed = await api.http.get(
        "/admin/structures", params={"platform_id": platform_id}, headers=api.admin.headers
    )

    assert created == structure
    assert duplicate.status_code == 409
    assert orphan.status_code == 404
    assert bad_kind.status_code == 422
    assert bad_kind.json()["details"][0]["champ"] == "kind"
    assert listed.json() == [structure]


async def test_a_new_user_gets_an_activation_link_and_the_admin_no_credential(api: Api) -> None:
    team = await api.team()
    email = f"camille-{uuid.uuid4().hex[:6]}@ml-toulouse.fr"

    created = await api.admin_post(
        "/admin/users",
        {
            "display_name": "Camille Référente",
            "email": email,
            "role": "referent",
            "platform_id": team.platform_id,
            "structure_id": f"ml-{team.platform_id}",
        },
    )
    user = created["user"]
    users = await api.http.get(
        "/admin/users", params={"platform_id": team.platform_id}, headers=api.admin.headers
    )
    issue = await api.http.post(f"/admin/users/{user['id']}/tokens", headers=api.admin.headers)

    assert user["role"] == "referent" and user["active"] is True
    assert "token" not in created and created["activation"]["sent"] is True
    assert api.accounts_mail is not None
    assert [m.envelope_to for m in api.accounts_mail.messages if email in m.envelope_to] == [
        [email]
    ]
    listed = {u["id"]: u for u in users.json()}
    assert user["id"] in listed
    assert "token" not in listed[user["id"]]
    assert issue.status_code == 405  # no administrator issues a token for someone else


async def test_user_attachments_are_checked(api: Api) -> None:
    team = await api.team()
    base = {"display_name": "X", "email": "x@ml-toulouse.fr", "platform_id": team.platform_id}
    cases = [
        (base | {"role": "referent"}, 422, "structure_id"),
        (base | {"role": "coordinateur", "platform_id": None}, 422, "platform_id"),
        (base | {"role": "coordinateur", "platform_id": "nope"}, 404, "Plateforme"),
        (base | {"role": "referent", "structure_id": "nope"}, 422, "structure"),
    ]
    for body, status, word in cases:
        response = await api.http.post("/admin/users", json=body, headers=api.admin.headers)
        assert response.status_code == status, body
        assert word in response.json()["message"], body

    malformed = [
        base | {"role": "referent", "email": "pas-un-courriel"},
        base | {"role": "superadmin"},
    ]
    for body in malformed:
        response = await api.http.post("/admin/users", json=body, headers=api.admin.headers)
        assert response.status_code == 422, body
        assert response.json()["details"], body
    unknown = await api.http.post("/admin/users/nobody/activation", headers=api.admin.headers)
    assert unknown.status_code == 404


async def test_only_administrators_reach_the_admin_endpoints(api: Api) -> None:
    team = await api.team()
    for member in (team.coordinator, team.ml_referents[0], team.partner):
        for method, path in (
            ("GET", "/admin/platforms"),
            ("POST", "/admin/platforms"),
            ("GET", "/admin/users"),
            ("POST", "/admin/users"),
            ("POST", f"/admin/users/{member.id}/activation"),
            ("GET", "/admin/audit"),
        ):
            body = {"id": _platform_id(), "name": "X"} if method == "POST" else None
            response = await api.http.request(method, path, json=body, headers=member.headers)
            assert response.status_code == 403, (method, path)
            assert response.json()["code"] == "interdit"

    anonymous = await api.http.get("/admin/platforms")
    forged = await api.http.get("/admin/platforms", headers={"Authorization": "Bearer fr_faux"})
    assert anonymous.status_code == 401
    assert forged.status_code == 401
    assert forged.json()["message"] == "Jeton invalide ou révoqué."


async def test_a_platform_s_time_zone_is_its_territory_s_unless_an_admin_chooses(
    api: Api,
) -> None:
    body = {"id": _platform_id(), "name": "PSAD Saint-Pierre", "territory": {"communes": ["97502"]}}
    created = await api.admin_post("/admin/platforms", body)
    path = f"/admin/platforms/{body['id']}/time-zone"

    chosen = await api.http.put(
        path, json={"time_zone": "America/Cayenne"}, headers=api.admin.headers
    )
    unknown = await api.http.put(
        path, json={"time_zone": "Mars/Olympus"}, headers=api.admin.headers
    )
    derived = await api.http.put(path, json={"time_zone": None}, headers=api.admin.headers)
    paris = await api.admin_post("/admin/platforms", {"id": _platform_id(), "name": "PSAD"})

    assert (created["time_zone"], created["time_zone_chosen"]) == ("America/Miquelon", False)
    assert (chosen.json()["time_zone"], chosen.json()["time_zone_chosen"]) == (
        "America/Cayenne",
        True,
    )
    assert unknown.status_code == 422
    assert unknown.json()["message"].startswith("Fuseau horaire inconnu : « Mars/Olympus ».")
    assert derived.json()["time_zone"] == "America/Miquelon"
    assert paris["time_zone"] == "Europe/Paris"
