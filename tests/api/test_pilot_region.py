"""The regional pilot sees only the platforms of their Région (issue 8, item 16, indicators)."""

from __future__ import annotations

import uuid

from tests.api.conftest import Api


async def test_a_pilot_sees_the_counts_of_their_regions_platforms_only(api: Api) -> None:
    ours = await api.team()  # Occitanie
    elsewhere = f"psad-{uuid.uuid4().hex[:8]}"
    # A Région of this test's own: the database is shared with other tests' platforms.
    region = f"Bretagne {uuid.uuid4().hex[:8]}"
    await api.admin_post(
        "/admin/platforms", {"id": elsewhere, "name": "PSAD Bretagne", "region": region}
    )
    pilot = await api.user("pilote", None, region="Occitanie")
    breton = await api.user("pilote", None, region=region)

    mine = await api.http.get("/indicators", headers=pilot.headers)
    theirs = await api.http.get("/indicators", headers=breton.headers)
    asked = await api.http.get(f"/indicators?platform_id={elsewhere}", headers=pilot.headers)

    seen = [p["platform_id"] for p in mine.json()["platforms"]]
    assert ours.platform_id in seen and elsewhere not in seen
    assert [p["platform_id"] for p in theirs.json()["platforms"]] == [elsewhere]
    assert asked.status_code == 404


async def test_a_pilot_account_needs_a_region(api: Api) -> None:
    body = {
        "display_name": "Pilote",
        "email": f"pilote-{uuid.uuid4().hex[:6]}@region.example",
        "role": "pilote",
    }

    refused = await api.http.post("/admin/users", json=body, headers=api.admin.headers)

    assert refused.status_code == 422, refused.text
    assert "Région" in refused.json()["message"]
