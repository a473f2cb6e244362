"""Schemathesis against the app's OpenAPI schema, anonymous and as each role (a bounded run).

Schemathesis generates the requests from `app.openapi()`; they go through the suite's httpx
client on the real app, whose lifespan holds the Temporal client and the database
(schemathesis' own ASGI transport would run the app in another event loop). Every answer
must not be a 5xx, must have a status the schema documents, and must match the content type
and the body schema documented for that status; an anonymous caller gets nothing but the
public operations. Every operation of the schema is exercised, so a new endpoint is covered
as soon as it is added.

Bounded: per operation, role and variant (generated path ids, then real ones: a case of the
platform, the platform, a user, an import, a possible duplicate), 3 valid and 2 invalid
requests, or 1 and 1 for a caller the endpoint refuses by role (or anonymous), the same on
every run (derandomized, no shrinking, no example database).

Invalid requests are drawn from a copy of the schema whose only generation mode is negative:
schemathesis then says at the first draw that an operation has nothing it can make invalid
(a uuid path id, a free header) instead of Hypothesis rejecting some 500 draws before it
gives up. The cases drawn are the same either way (derandomized); only the waste goes.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from typing import Any

import httpx
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import APIOperation, BaseSchema, Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.control import SkipTest
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.access import ENDPOINT_ROLES, PUBLIC
from api.app import create_app
from filrouge.core.domain import Role
from tests.api.conftest import Api, Member

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
EXAMPLES = {GenerationMode.POSITIVE: 3, GenerationMode.NEGATIVE: 2}
# A caller whose role the endpoint refuses (or an anonymous one) stops at the door: one
# request of each mode says as much.
AT_THE_DOOR_EXAMPLES = 1
NON_WORD = re.compile(r"\W")
LIST = "Nom;Prénom;Date de naissance;Code postal\r\nMartin;Léa;12/05/2004;{postal_code}\r\n"


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
    except (Unsatisfiable, SkipTest):  # nothing left to make invalid
        return []
    return drawn[:count]


# Drawing is the slow part (about a fifth of a run, where it was 85 % before the negative-only
# schema) and gives the same cases on every run (derandomized): each
# (operation, mode, names of the fixed path parameters) is drawn once per session, the first
# run's real ids as the fixed values, and a later run (the other backend) puts its own ids in.
# Fixed values are constants (`just`), so the cases drawn around them do not depend on them.
_DRAWN: dict[tuple[str, str, tuple[str, ...]], list[Case]] = {}


def _negative_only(openapi: dict[str, Any]) -> BaseSchema:
    """The schema, generating invalid requests only (see the module's docstring)."""
    schema = schemathesis.openapi.from_dict(openapi)
    schema.config.generation.update(modes=[GenerationMode.NEGATIVE])
    return schema


def _drawn(
    operation: APIOperation,
    mode: GenerationMode,
    count: int,
    fixed: dict[str, str] | None,
    negative: BaseSchema,
) -> list[Case]:
    """The cases of `operation` in `mode`, with `fixed` path parameters (drawn once); invalid
    ones from `negative`, the schema that generates nothing else."""
    key = (operation.label, mode.value, tuple(sorted(fixed or {})))
    if key not in _DRAWN:
        if mode is GenerationMode.NEGATIVE:
            operation = negative[operation.path][operation.method.upper()]
        strategy = operation.as_strategy(generation_mode=mode, path_parameters=fixed)
        _DRAWN[key] = _draw(strategy, count)
    for case in _DRAWN[key]:
        case.path_parameters.update(fixed or {})
    return _DRAWN[key]


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


async def _review(api: Api, coordinator: Member, postal_code: str) -> str:
    """A possible duplicate: the same young person referred twice."""
    person = {"last_name": "Durand", "first_name": "Inès", "birth_date": "2004-05-12"}
    body = {"source": "cio", "person": person | {"postal_code": postal_code}}
    for _ in range(2):
        await api.http.post("/referrals", json=body, headers=coordinator.headers)
    reviews = await api.http.get("/duplicates", headers=coordinator.headers)
    return str(reviews.json()[0]["id"])


async def _roles(api: Api) -> tuple[dict[str, Member | None], dict[str, str]]:
    """A member of each role (None: anonymous), and real ids their requests may name."""
    # Referrals are routed by territory: a postal code no other test's platform claims.
    territory = api.territories.territory()
    team = await api.team(territory=territory.claim())
    case = await api.create_case(team)
    owner = team.member(case["referent_id"])
    content = LIST.format(postal_code=territory.postal_code).encode()
    files = {"file": ("liste.csv", content, "text/csv")}
    imported = await api.http.post("/imports", files=files, headers=team.coordinator.headers)
    members: dict[str, Member | None] = {
        "anonymous": None,
        "referent": owner,
        "coordinateur": team.coordinator,
        "pilote": await api.user("pilote", None),
        "partenaire": team.partner,
        "admin": api.admin,
    }
    real = {
        "case_id": case["id"],
        "platform_id": team.platform_id,
        # A user of their own: the admin's requests may deactivate them or revoke their tokens.
        "user_id": (await api.user("pilote", None)).id,
        "import_id": imported.json()["id"],
        "review_id": await _review(api, team.coordinator, territory.postal_code),
    }
    return members, real


def _operation_roles(paths: dict[str, Any]) -> dict[tuple[str, str], frozenset[Role] | None]:
    """(method, path) -> the roles ENDPOINT_ROLES allows (None: unlisted, refused to all)."""
    by_id = {
        NON_WORD.sub("_", name + path) + f"_{method}": roles
        for name, roles in ENDPOINT_ROLES.items()
        for path, operations in paths.items()
        for method in operations
    }
    return {
        (method, path): by_id.get(operation["operationId"])
        for path, operations in paths.items()
        for method, operation in operations.items()
    }


async def test_schemathesis_as_each_role(api: Api) -> None:
    members, real = await _roles(api)
    openapi = create_app().openapi()
    schema = schemathesis.openapi.from_dict(openapi)
    negative = _negative_only(openapi)
    allowed = _operation_roles(openapi["paths"])
    failures: list[str] = []
    statuses: Counter[tuple[str, int]] = Counter()
    refused_at_door: Counter[str] = Counter()  # 401 from an operation that needs a caller
    started = time.monotonic()
    for result in schema.get_all_operations():
        operation = result.ok()
        roles = allowed[operation.method.lower(), operation.path]
        opened = roles is PUBLIC
        for mode, count in EXAMPLES.items():
            for path_parameters in _variants(operation, real):
                # Drawn once, sent as every role: generating is the slow part.
                drawn = _drawn(operation, mode, count, path_parameters, negative)
                for role, member in members.items():
                    inside = opened if member is None else role in (roles or ())
                    auth = {"authorization": f"Bearer {member.token}"} if member else {}
                    for case in drawn if inside else drawn[:AT_THE_DOOR_EXAMPLES]:
                        case.headers.pop("authorization", None)
                        case.headers.update(auth)  # never a generated one
                        try:
                            response = await _send(api.http, case)
                            statuses[role, response.status_code] += 1
                            refused_at_door[role] += response.status_code == 401 and not opened
                            case.validate_response(response, checks=CHECKS)
                            if member is None and not opened:
                                assert response.status_code >= 400, "anonymous got an answer"
                        except (Exception, FailureGroup) as exc:
                            failures.append(f"{operation.label} as {role} ({mode.value}): {exc}")
    elapsed = time.monotonic() - started
    print(f"schemathesis: {sum(statuses.values())} requests in {elapsed:.1f} s: {statuses}")

    assert not failures, f"{len(failures)} failures:\n" + "\n\n".join(failures[:20])
    for role, member in members.items():  # the tokens did authenticate: answers past the door
        assert (refused_at_door[role] == 0) is (member is not None), role
        assert any(status < 300 for (r, status) in statuses if r == role), role
