"""Minimisation over HTTP: a forbidden category is refused at every entry point, in French."""

from typing import Any

from tests.api.conftest import Api


async def test_forbidden_person_fields_are_refused_with_their_category(api: Api) -> None:
    team = await api.team()
    person = {"last_name": "Martin", "first_name": "Léa", "birth_date": "2007-03-01"}
    for field, category in [
        ("sante", "santé"),
        ("handicap", "handicap"),
        ("nationality", "nationalité"),
        ("situation_familiale", "situation familiale"),
        ("infractions", "infractions"),
        ("health", "santé"),
    ]:
        body = {"platform_id": team.platform_id, "source": "siei", "person": person}
        body["person"] = person | {field: "x"}
        response = await api.http.post("/cases", json=body, headers=team.coordinator.headers)

        assert response.status_code == 422, field
        payload = response.json()
        assert payload["code"] == "categorie_interdite"
        assert payload["message"].startswith("Catégorie de données interdite")
        detail = payload["details"][0]
        assert detail["champ"] == f"person.{field}"
        assert detail["message"].startswith(f"catégorie de données interdite ({category})")
    listed = await api.http.get("/cases", headers=team.coordinator.headers)
    assert listed.json()["total"] == 0


async def test_forbidden_fields_are_refused_in_steps_and_top_level(api: Api) -> None:
    team = await api.team()
    case = await api.create_case(team)
    attempts: list[tuple[str, dict[str, Any]]] = [
        (
            "/cases",
            {
                "platform_id": team.platform_id,
                "source": "siei",
                "person": {"last_name": "A", "first_name": "B", "birth_date": "2005-01-01"},
                "casier_judiciaire": "non",
            },
        ),
        (f"/cases/{case['id']}/close", {"outcome": "refus", "pathologie": "asthme"}),
    ]
    for path, body in attempts:
        response = await api.http.post(path, json=body, headers=team.coordinator.headers)
        assert response.status_code == 422, path
        assert response.json()["code"] == "categorie_interdite"
