"""Schemathesis against the app's OpenAPI schema, authenticated as each role (a bounded run).

Schemathesis generates the requests from `app.openapi()`; they go through the suite's httpx
client on the real app, whose lifespan holds the Temporal client and the database
(schemathesis' own ASGI transport would run the app in another event loop). Every answer
must not be a 5xx, must have a status the schema documents, and must match the content type
and the body schema documented for that status.

Bounded: per operation, role and variant (generated path ids, then real ones: a case of the
platform, the platform, a user), 3 valid and 2 invalid requests, the same on every run
(derandomized, no shrinking, no example database). About 1,250 requests per backend.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

import httpx
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import APIOperation, Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.app import create_app
from tests.api.conftest import Api, Member

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
EXAMPLES = {GenerationMode.POSITIVE: 3, GenerationMode.NEGATIVE: 2}
BUDGET_SECONDS = 120


def _draw(strategy: st.SearchStrategy[Case], count: int) -> list[Case]:
    """`count` cases from `strategy`, the same ones on every run."""
    drawn: list[Case] = []

    @settings(
        max_examples=count,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def collect(case: Case) -> None:
        drawn.append(case)

    try:
        collect()
    except Unsatisfiable:  # nothing left to make invalid: every input is fixed
        return []
    return drawn[:count]


def _variants(operation: APIOperation, real: dict[str, str]) -> list[dict[str, str] | None]:
    """Generated path parameters, then (when the path has some) real ids."""
    names = {p.name for p in operation.path_parameters}
    fixed = {name: value for name, value in real.items() if name in names}
    return [None, fixed] if fixed else [None]


async def _send(http: httpx.AsyncClient, case: Case) -> httpx.Response:
    """Send the case as schemathesis serializes it (raw bytes for a malformed body)."""
    sent = case.as_transport_kwargs(base_url=str(http.base_url))
    body: dict[str, Any] = {}
    if "json" in sent:
        body["json"] = sent["json"]
    if "data" in sent:
        body["content"] = sent["data"]
    return await http.request(
        sent["method"], sent["url"], params=sent.get("params"), headers=sent["headers"], **body
    )


async def _roles(api: Api) -> tuple[dict[str, Member], dict[str, str]]:
    """A member of each role, and real ids their requests may name."""
    team = await api.team()
    case = await api.create_case(team)
    owner = team.member(case["referent_id"])
    members = {
        "referent": owner,
        "coordinateur": team.coordinator,
        "pilote": await api.user("pilote", None),
        "partenaire": team.partner,
        "admin": api.admin,
    }
    real = {"case_id": case["id"], "platform_id": team.platform_id, "user_id": owner.id}
    return members, real


async def test_schemathesis_as_each_role(api: Api) -> None:
    members, real = await _roles(api)
    schema = schemathesis.openapi.from_dict(create_app().openapi())
    failures: list[str] = []
    statuses: Counter[tuple[str, int]] = Counter()
    started = time.monotonic()
    for result in schema.get_all_operations():
        operation = result.ok()
        for role, member in members.items():
            auth = f"Bearer {member.token}"
            for mode, count in EXAMPLES.items():
                for path_parameters in _variants(operation, real):
                    strategy = operation.as_strategy(
                        generation_mode=mode,
                        headers={"authorization": auth},
                        path_parameters=path_parameters,
                    )
                    for case in _draw(strategy, count):
                        case.headers["authorization"] = auth  # never a generated one
                        try:
                            response = await _send(api.http, case)
                            statuses[role, response.status_code] += 1
                            case.validate_response(response, checks=CHECKS)
                        except (Exception, FailureGroup) as exc:
                            failures.append(f"{operation.label} as {role} ({mode.value}): {exc}")
    elapsed = time.monotonic() - started
    print(f"schemathesis: {sum(statuses.values())} requests in {elapsed:.1f} s: {statuses}")

    assert not failures, f"{len(failures)} failures:\n" + "\n\n".join(failures[:20])
    for role in members:  # the tokens did authenticate: each role got answers past the door
        assert statuses[role, 401] == 0, role
        assert any(status < 300 for (r, status) in statuses if r == role), role
    assert elapsed < BUDGET_SECONDS
