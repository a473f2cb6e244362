"""Territories never overlap silently (issue 8, item 13)."""

from __future__ import annotations

import uuid

from tests.api.conftest import Api


def platform(territory: dict[str, list[str]], name: str = "PSAD test") -> dict[str, object]:
    return {"id": f"psad-{uuid.uuid4().hex[:8]}", "name": name, "territory": territory}


async def test_a_new_platform_claiming_anothers_codes_is_refused_naming_it(api: Api) -> None:
    land = api.territories.territory(communes=2)
    first = platform(land.claim(), name="PSAD du Causse")
    await api.admin_post("/admin/platforms", first)
    overlapping = platform({"communes": [land.communes[1]], "postal_codes": [land.postal_code]})

    refused = await api.http.post("/admin/platforms", json=overlapping, headers=api.admin.headers)

    assert refused.status_code == 409, refused.text
    message = refused.json()["message"]
    assert "PSAD du Causse" in message and str(first["id"]) in message
    assert f"communes {land.communes[1]}" in message
    assert f"codes postaux {land.postal_code}" in message
    listed = await api.http.get("/admin/platforms", headers=api.admin.headers)
    assert overlapping["id"] not in [p["id"] for p in listed.json()]


async def test_changing_a_territory_onto_anothers_is_refused_and_changes_nothing(
    api: Api,
) -> None:
    ours, theirs = api.territories.territory(), api.territories.territory()
    mine = await api.admin_post("/admin/platforms", platform(ours.claim()))
    other = await api.admin_post("/admin/platforms", platform(theirs.claim(), name="PSAD Voisine"))
    path = f"/admin/platforms/{mine['id']}/territory"
    grown = {"communes": [ours.commune, theirs.commune]}

    refused = await api.http.put(path, json=grown, headers=api.admin.headers)
    moved = await api.http.put(path, json={"communes": [ours.commune]}, headers=api.admin.headers)

    assert refused.status_code == 409, refused.text
    assert "PSAD Voisine" in refused.json()["message"] and other["id"] in refused.json()["message"]
    assert f"communes {theirs.commune}" in refused.json()["message"]
    assert moved.status_code == 200, moved.text
    assert moved.json()["territory"]["communes"] == [ours.commune]
