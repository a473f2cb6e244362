"""Refusals name the faulty field in French; JSON keeps the machine name (`details[].field`)."""

from __future__ import annotations

import re
from typing import Any

from api.app import create_app
from api.field_labels import FIELD_LABELS
from tests.api.conftest import Api
from tests.api.test_cases_api import referent_of

# A machine name in a message: snake_case, or the English name of an endpoint.
MACHINE_NAME = re.compile(r"\b[a-z]+_[a-z_]+\b|POST /")


def _request_fields(spec: dict[str, Any]) -> set[str]:
    """Every property of every request body (nested schemas too), query parameter and header."""
    schemas, names, seen = spec["components"]["schemas"], set(), set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if ref and ref not in seen:
                seen.add(ref)
                schema = schemas[ref.rsplit("/", 1)[-1]]
                names.update(schema.get("properties", {}))
                walk(schema)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for operations in spec["paths"].values():
        for operation in operations.values():
            walk(operation.get("requestBody", {}))
            names.update(p["name"].lower() for p in operation.get("parameters", ()))
    return names


def test_every_request_field_has_a_french_name() -> None:
    fields = _request_fields(create_app().openapi())
    assert {"solution_type", "new_commune", "reason", "birth_date", "limit"} <= fields
    assert sorted(fields - set(FIELD_LABELS)) == []


async def test_a_malformed_step_names_its_fields_in_french(api: Api) -> None:
    team = await api.team()
    case = await api.create_case(team)
    referent = referent_of(team, case)
    body = {"outcome": "deja_en_solution", "solution_type": "fusee", "reason": ""}

    refused = await api.step(case["id"], "contact-outcome", body, referent, expect=422)

    assert refused["message"] == (
        "La requête contient des données invalides : « type de solution », « motif »."
    )
    details = {d["field"]: d["message"] for d in refused["details"]}
    assert details == {
        "solution_type": "« type de solution » : valeur non autorisée",
        "reason": "« motif » : texte trop court",
    }
    unknown = await api.step(case["id"], "contact-outcome", {"remarque": "x"}, referent, expect=422)
    assert {d["message"] for d in unknown["details"]} == {
        "« issue » : champ obligatoire",
        "« remarque » : champ non autorisé",  # not a field of ours: named as sent
    }


async def test_step_refusals_never_name_a_field_in_english(api: Api) -> None:
    team = await api.team()
    case = await api.create_case(team)
    referent = referent_of(team, case)
    refusals = [
        ("contact-outcome", {"outcome": "deja_en_solution"}),
        ("contact-outcome", {"outcome": "demenage"}),
        ("close", {"outcome": "autre"}),
    ]
    for path, body in refusals:
        answer = await api.step(case["id"], path, body, referent, expect=409)
        assert not MACHINE_NAME.search(answer["message"]), answer


async def test_a_list_sent_as_a_referral_is_refused_without_an_endpoint_name(api: Api) -> None:
    team = await api.team()
    body = {
        "source": "siei",
        "person": {"last_name": "Liste", "first_name": "Camille", "birth_date": "2008-01-02"},
    }

    answer = await api.http.post("/referrals", json=body, headers=team.partner.headers)

    assert answer.status_code == 422, answer.text
    assert not MACHINE_NAME.search(answer.json()["message"]), answer.text
    assert "import d'une liste" in answer.json()["message"]
