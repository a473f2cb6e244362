"""The remote payload codec for the Temporal UI: administrators only, CORS for the UI only."""

from __future__ import annotations

import base64
from typing import Any

from temporalio.api.common.v1 import Payload
from temporalio.testing import WorkflowEnvironment

from tests.api.conftest import Api

UI_ORIGIN = "http://localhost:8233"
PREFLIGHT = {
    "Origin": UI_ORIGIN,
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "authorization,content-type,x-namespace",
}


def as_json(payload: Payload) -> dict[str, Any]:
    def text(raw: bytes) -> str:
        return base64.b64encode(raw).decode()

    return {
        "metadata": {k: text(v) for k, v in payload.metadata.items()},
        "data": text(payload.data),
    }


def secret() -> Payload:
    return Payload(metadata={"encoding": b"json/plain"}, data=b'{"last_name":"Martin"}')


async def encrypted(env: WorkflowEnvironment) -> dict[str, Any]:
    """A payload as the application's Temporal client writes it."""
    codec = env.client.data_converter.payload_codec
    assert codec is not None
    [payload] = await codec.encode([secret()])
    return as_json(payload)


async def test_an_admin_decodes_what_the_application_encrypted(
    api: Api, dev_env: WorkflowEnvironment
) -> None:
    body = {"payloads": [await encrypted(dev_env)]}
    headers = api.admin.headers | {"X-Namespace": dev_env.client.namespace}

    response = await api.http.post("/codec/decode", json=body, headers=headers)

    assert response.status_code == 200, response.text
    assert response.json() == {"payloads": [as_json(secret())]}


async def test_encode_then_decode_round_trips_over_http(api: Api) -> None:
    body = {"payloads": [as_json(secret())]}
    encoded = await api.http.post("/codec/encode", json=body, headers=api.admin.headers)
    assert encoded.status_code == 200, encoded.text
    assert "Martin" not in base64.b64decode(encoded.json()["payloads"][0]["data"]).decode("latin-1")

    decoded = await api.http.post("/codec/decode", json=encoded.json(), headers=api.admin.headers)

    assert decoded.json() == body


async def test_case_staff_and_anonymous_callers_cannot_decode(
    api: Api, dev_env: WorkflowEnvironment
) -> None:
    team = await api.team()
    body = {"payloads": [await encrypted(dev_env)]}

    as_referent = await api.http.post(
        "/codec/decode", json=body, headers=team.ml_referents[0].headers
    )
    as_coordinator = await api.http.post(
        "/codec/decode", json=body, headers=team.coordinator.headers
    )
    anonymous = await api.http.post("/codec/decode", json=body)

    assert as_referent.status_code == as_coordinator.status_code == 403
    assert anonymous.status_code == 401
    assert "Martin" not in as_referent.text + anonymous.text


async def test_altered_payloads_and_other_namespaces_are_refused_in_french(
    api: Api, dev_env: WorkflowEnvironment
) -> None:
    payload = await encrypted(dev_env)
    raw = bytearray(base64.b64decode(payload["data"]))
    raw[-1] ^= 1
    altered = {"payloads": [payload | {"data": base64.b64encode(bytes(raw)).decode()}]}
    not_base64 = {"payloads": [{"metadata": {}, "data": "%%%"}]}
    other_namespace = api.admin.headers | {"X-Namespace": "autre"}

    refused = await api.http.post("/codec/decode", json=altered, headers=api.admin.headers)
    garbled = await api.http.post("/codec/decode", json=not_base64, headers=api.admin.headers)
    elsewhere = await api.http.post("/codec/decode", json=altered, headers=other_namespace)

    assert refused.status_code == garbled.status_code == 422
    key_id = base64.b64decode(payload["metadata"]["encryption-key-id"]).decode()
    assert refused.json()["message"] == (
        f"Donnée chiffrée avec la clé « {key_id} » indéchiffrable : données altérées ou clé "
        "erronée."
    )
    assert garbled.json()["message"] == "Donnée Temporal illisible : base64 attendu."
    for answer in (refused, garbled):
        assert "payload" not in answer.json()["message"].lower()
    assert elsewhere.status_code == 404


async def test_the_temporal_ui_origin_may_call_the_codec_with_a_token(api: Api) -> None:
    preflight = await api.http.options("/codec/decode", headers=PREFLIGHT)
    body = {"payloads": [as_json(secret())]}
    call = await api.http.post(
        "/codec/decode", json=body, headers=api.admin.headers | {"Origin": UI_ORIGIN}
    )

    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == UI_ORIGIN
    assert "authorization" in preflight.headers["access-control-allow-headers"].lower()
    assert "x-namespace" in preflight.headers["access-control-allow-headers"].lower()
    assert call.headers["access-control-allow-origin"] == UI_ORIGIN


async def test_no_other_origin_and_no_other_path_gets_cors(api: Api) -> None:
    other_origin = await api.http.options(
        "/codec/decode", headers=PREFLIGHT | {"Origin": "https://evil.example"}
    )
    other_path = await api.http.options("/cases", headers=PREFLIGHT)

    assert other_origin.status_code == 400
    assert "access-control-allow-origin" not in other_origin.headers
    assert "access-control-allow-origin" not in other_path.headers
