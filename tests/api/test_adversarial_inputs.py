"""Adversarial inputs on the real stack: NUL characters, oversized payloads, formulas in
CSV exports, and error bodies (French, never repeating a personal value of the request)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator
from typing import Any

from filrouge.intake.reader import IntakeLimits
from tests.api.conftest import Api
from tests.api.test_adversarial import ADULT, HEADER, assert_french_error, csv_bytes, upload
from tests.support.imports import finished

FORMULAS = ("=", "+", "-", "@", "\t", "\r")


async def test_text_with_a_nul_character_is_refused_not_a_server_error(api: Api) -> None:
    team = await api.team()
    case = await api.create_case(team, birth_date=ADULT)
    person = {"last_name": "Mar\x00tin", "first_name": "Léa", "birth_date": ADULT.isoformat()}
    person["postal_code"] = "31000"
    attempts = [
        ("POST", "/cases", {"platform_id": team.platform_id, "source": "cio", "person": person}),
        ("POST", f"/cases/{case['id']}/notes", {"text": "a\x00b"}),
        ("PATCH", f"/cases/{case['id']}/person", {"address": "1 rue\x00"}),
        ("POST", "/referrals", {"source": "cio", "person": person}),
        ("GET", "/cases/c%00x", None),
        ("GET", "/cases?referent_id=u%00x", None),
    ]
    for method, path, body in attempts:
        response = await api.http.request(method, path, json=body, headers=team.coordinator.headers)
        assert response.status_code in (404, 422), (path, response.text)
        assert_french_error(response, "Mar\x00tin")
    rows = [HEADER, ["Mar\x00tin", "Léa", ADULT.strftime("%d/%m/%Y"), "31000"]]
    files = {"file": ("liste.csv", csv_bytes(rows), "text/csv")}
    binary = await api.http.post("/imports", files=files, headers=team.coordinator.headers)
    assert binary.status_code == 422
    assert_french_error(binary, "Mar\x00tin")
    rows[1][0] = "Martin"
    imported = await upload(api, team.coordinator, csv_bytes(rows), filename="liste\x00.csv")
    assert "\x00" not in imported["filename"]


# ---------------------------------------------------------------- oversized payloads


async def chunks(size: int) -> AsyncIterator[bytes]:
    """A JSON body sent without Content-Length (chunked), `size` bytes of padding."""
    yield b'{"text": "'
    for _ in range(size // 65536):
        yield b"a" * 65536
    yield b'"}'


async def test_oversized_payloads_are_refused_in_french(api: Api) -> None:
    team = await api.team()
    case = await api.create_case(team, birth_date=ADULT)
    coordinator = team.coordinator.headers
    secret = "Léa Martin"
    huge = {"platform_id": team.platform_id, "source": "cio", "person": {"address": secret * 2**17}}
    too_long = {"text": secret * 300}
    too_many = {"solutions": [{"type": "e2c", "structure": "E2C", "start_date": "2026-01-05"}] * 11}
    bulk = {"case_ids": [f"c{i}" for i in range(201)], "referent_id": "u1"}
    nested = b"[" * 200_000 + b"]" * 200_000
    answers = {
        "huge body": await api.http.post("/cases", json=huge, headers=coordinator),
        "chunked body": await api.http.post(
            f"/cases/{case['id']}/notes", content=chunks(2 * 2**20), headers=coordinator
        ),
        "long note": await api.http.post(
            f"/cases/{case['id']}/notes", json=too_long, headers=coordinator
        ),
        "many solutions": await api.http.post(
            f"/cases/{case['id']}/proposals", json=too_many, headers=coordinator
        ),
        "many ids": await api.http.post("/cases/assign", json=bulk, headers=coordinator),
        "deep json": await api.http.post(
            "/cases", content=nested, headers=coordinator | {"Content-Type": "application/json"}
        ),
        "huge number": await api.http.get(
            "/cases", params={"limit": "9" * 400}, headers=coordinator
        ),
        "long key": await api.http.post(
            f"/cases/{case['id']}/contact-attempts",
            json={"channel": "sms", "result": "joint"},
            headers=coordinator | {"Idempotency-Key": "k" * 5000},
        ),
    }
    expected = {"huge body": 413, "chunked body": 413, "deep json": 422}
    for label, response in answers.items():
        assert response.status_code == expected.get(label, 422), (label, response.text[:300])
        assert_french_error(response, secret)
    assert answers["huge body"].json()["message"] == "Requête trop volumineuse."
    details = {d["message"] for d in answers["long note"].json()["details"]}
    assert details == {"« note » : texte trop long"}
    assert answers["many solutions"].json()["details"][0]["message"] == (
        "« solutions proposées » : trop d'éléments"
    )
    notes = await api.http.get(f"/cases/{case['id']}/notes", headers=coordinator)
    assert notes.json() == []


async def test_an_upload_over_the_limit_answers_413(api: Api) -> None:
    team = await api.team()
    limit = IntakeLimits().max_bytes
    just_over = b"Nom;Pr\xc3\xa9nom\r\n" + b"x" * limit
    far_over = b"x" * (limit * 2)
    for content, code in ((just_over, "fichier_trop_volumineux"), (far_over, "erreur")):
        files = {"file": ("liste.csv", content, "text/csv")}
        response = await api.http.post("/imports", files=files, headers=team.coordinator.headers)
        assert response.status_code == 413, response.text
        assert response.json()["code"] == code
        assert_french_error(response)
    listed = await api.http.get("/cases", headers=team.coordinator.headers)
    assert listed.json()["total"] == 0


# ---------------------------------------------------------------- CSV formula injection


async def test_the_rejected_rows_file_neutralises_formulas(api: Api) -> None:
    team = await api.team()
    formulas = [
        '=HYPERLINK("http://x.example";"clic")',
        "+33 6 12 34 56 78",
        "-2+3",
        "@SUM(A1:A2)",
        "\t=1+1",
        "\r=1+1",
        " =cmd|' /C calc'!A0",
    ]
    rows = [[*HEADER, "Téléphone", "Dernière formation", "Niveau"]]
    for i, formula in enumerate(formulas):
        rows.append([formula, f"Prénom{i}", "=DATE(2007;1;1)", *[formula] * 7])
    imported = await upload(api, team.coordinator, csv_bytes(rows))
    await finished(api, team.coordinator, imported["id"])  # the worker reads the list

    response = await api.http.get(
        f"/imports/{imported['id']}/rejected.csv", headers=team.coordinator.headers
    )

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    table = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert len(table) == len(formulas) + 1
    for row in table[1:]:
        for cell in row:
            assert not cell.lstrip(" ").startswith(FORMULAS), cell
    first = dict(zip(table[0], table[1], strict=True))
    assert first["Nom"] == "'" + formulas[0]
    assert first["Date de naissance"] == "'=DATE(2007;1;1)"
    assert any(cell.startswith("'") for cell in table[2])


# ---------------------------------------------------------------- error bodies


async def test_error_bodies_are_french_and_never_repeat_personal_values(api: Api) -> None:
    team = await api.team()
    case = await api.create_case(team, birth_date=ADULT)
    headers = team.coordinator.headers
    base = {"last_name": "Dupontel", "first_name": "Maëlys", "birth_date": ADULT.isoformat()}
    secrets = ("Dupontel", "Maëlys", "maelys.dupontel", "0699887766", "asthme", "Rue des Lilas")
    create = {"platform_id": team.platform_id, "source": "cio"}
    bodies: list[tuple[str, str, Any]] = [
        ("POST", "/cases", create | {"person": base | {"email": "maelys.dupontel@"}}),
        ("POST", "/cases", create | {"person": base | {"phone": "0699887766 x"}}),
        ("POST", "/cases", create | {"person": base | {"sante": "asthme"}}),
        ("POST", "/cases", create | {"person": base | {"remarque": "Rue des Lilas"}}),
        ("POST", "/cases", create | {"person": base | {"birth_date": {"Dupontel": 1}}}),
        ("POST", "/cases", create | {"person": base | {"birth_date": None}}),
        ("POST", "/cases", create | {"person": base | {"birth_date": "2015-01-01"}}),
        ("POST", "/cases", create | {"person": base | {"convocation_consent": 1.5}}),
        ("POST", "/referrals", {"source": "cio", "person": base | {"birth_date": "2015-01-01"}}),
        ("POST", "/referrals", {"source": "cio", "person": base | {"phone": "0699887766 x"}}),
        ("PATCH", f"/cases/{case['id']}/person", {"email": "maelys.dupontel@"}),
        ("PATCH", f"/cases/{case['id']}/person", {"last_name": "Dupontel" * 40}),
        ("POST", f"/cases/{case['id']}/close", {"outcome": "autre", "reason": 12}),
        ("POST", f"/cases/{case['id']}/interview", {"at": "2026-13-01T10:00", "place": 1}),
        ("PUT", "/cases", None),
        ("GET", "/rien-ici", None),
    ]
    for method, path, body in bodies:
        response = await api.http.request(method, path, json=body, headers=headers)
        assert_french_error(response, *secrets)
    not_utf8 = await api.http.post(
        "/cases",
        content=b"\xff\xfe Dupontel",
        headers=headers | {"Content-Type": "application/json"},
    )
    assert_french_error(not_utf8, *secrets)
    anonymous = await api.http.get(f"/cases/{case['id']}")
    assert_french_error(anonymous)
    assert json.loads(anonymous.text)["code"] == "non_authentifie"
