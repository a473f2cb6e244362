"""Adversarial checks on the real stack (app, Temporal dev server, database, SMTP server).

A référent or a coordinator walking another platform's ids gets the answer an unknown id
gets; injection attempts in free text are stored verbatim and escaped wherever they are
echoed (mails, printable export). Hostile inputs (NUL, oversized, formulas) and error
bodies: `test_adversarial_inputs.py`.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from typing import Any

import httpx

from api.app import create_app
from filrouge.mail.sink import MailSink
from filrouge.services.auth.tokens import create_token
from filrouge.store.engine import transaction
from tests.api.conftest import Api, Member, Team
from tests.support.mail import mail_for, mails_for
from tests.support.steps import step_bodies

TODAY = date.today()
ADULT = date(TODAY.year - 19, 1, 15)
# Pydantic's and Starlette's own (English) wording must never reach the users.
ENGLISH = (
    "Input should",
    "Value error",
    "should match",
    "value is not",
    "Field required",
    "Not Found",
    "Method Not Allowed",
    "Internal Server Error",
    "There was an error",
    "Expecting value",
)
INJECTIONS = [
    "Robert'); DROP TABLE cases;--",
    "<script>alert('x')</script>",
    '"><img src=x onerror=alert(1)>',
    "{{ 7*7 }} {% if 1 %}oui{% endif %}",
    "1' OR '1'='1' -- %s %(x)s",
    "Zoé & <b>Lou</b> d'Arc",
]


def injected(index: int) -> str:
    """A distinct hostile text per field, so that each read-back is checked on its own."""
    return f"{INJECTIONS[index % len(INJECTIONS)]} #{index}"


def strings(value: Any) -> Iterator[str]:
    """Every string leaf of a JSON document."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


def assert_french_error(response: httpx.Response, *secrets: str) -> None:
    """A JSON error body with a message, no English wording and none of `secrets`."""
    assert 400 <= response.status_code < 500, response.text
    body = response.json()
    assert body["message"] and body["code"], body
    for marker in (*ENGLISH, *secrets):
        assert marker not in response.text, (marker, response.text)


def csv_bytes(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO(newline="")
    csv.writer(buffer, delimiter=";", lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode("utf-8-sig")


HEADER = [
    "Nom",
    "Prénom",
    "Date de naissance",
    "Code postal",
    "Adresse",
    "Commune",
    "Établissement",
]


async def upload(api: Api, who: Member, content: bytes, filename: str = "liste.csv") -> Any:
    files = {"file": (filename, content, "text/csv")}
    response = await api.http.post("/imports", files=files, headers=who.headers)
    assert response.status_code in (200, 202), response.text
    return response.json()


async def local_team(api: Api) -> tuple[Team, str]:
    """A team whose territory is a postal code no other platform claims (referrals are
    routed by territory; a postal code beats the département another platform may claim)."""
    territory = api.territories.territory()
    return await api.team(territory=territory.claim()), territory.postal_code


async def review_of(api: Api, team: Team, postal_code: str) -> str:
    """A possible duplicate on `team`'s platform: the same young person referred twice."""
    person = {"last_name": "Doublon", "first_name": "Inès", "birth_date": ADULT.isoformat()}
    body = {"source": "cio", "person": person | {"postal_code": postal_code}}
    for _ in range(2):
        response = await api.http.post("/referrals", json=body, headers=team.coordinator.headers)
        assert response.status_code == 201, response.text
    listed = await api.http.get("/duplicates", headers=team.coordinator.headers)
    return str(listed.json()[0]["id"])


# ---------------------------------------------------------------- walking other platforms' ids


def id_requests(world: dict[str, str]) -> dict[tuple[str, str], dict[str, Any] | None]:
    """A valid request for every endpoint naming a case, an import or a duplicate review."""
    case = "/cases/{case_id}"
    return {
        ("GET", case): None,
        ("GET", f"{case}/history"): None,
        ("GET", f"{case}/history/verify"): None,
        ("GET", f"{case}/access-log"): None,
        ("GET", f"{case}/notes"): None,
        ("POST", f"{case}/notes"): {"text": "Rappeler mardi"},
        ("GET", f"{case}/export"): None,
        ("GET", f"{case}/export.html"): None,
        ("PATCH", f"{case}/person"): {"first_name": "Zoé"},
        ("POST", f"{case}/erase"): None,
        **{
            ("POST", f"{case}/{path}"): body
            for path, body in step_bodies({"referent_id": world["own_referent"]}).items()
        },
        ("GET", "/imports/{import_id}"): None,
        ("GET", "/imports/{import_id}/report"): None,
        ("GET", "/imports/{import_id}/rejected.csv"): None,
        ("POST", "/duplicates/{review_id}/merge"): {"case_id": world["case_id"]},
        ("POST", "/duplicates/{review_id}/keep-apart"): None,
    }


def paths_with_ids() -> set[tuple[str, str]]:
    """Every operation of the schema with a case, import or review id in its path."""
    ids = ("{case_id}", "{import_id}", "{review_id}")
    return {
        (method.upper(), path)
        for path, operations in create_app().openapi()["paths"].items()
        if any(name in path for name in ids)
        for method in operations
    }


async def test_walking_other_platforms_ids_answers_like_an_unknown_id(api: Api) -> None:
    (home, postal_code), away = await local_team(api), await api.team()
    case = await api.create_case(home, birth_date=ADULT)
    await api.http.post(
        f"/cases/{case['id']}/notes", json={"text": "Note privée"}, headers=home.coordinator.headers
    )
    imported = await upload(
        api, home.coordinator, csv_bytes([HEADER, ["X", "Y", "31/02/2007", "31000"]])
    )
    review_id = await review_of(api, home, postal_code)
    world = {
        "case_id": case["id"],
        "import_id": imported["id"],
        "review_id": review_id,
        "own_referent": away.ml_referents[0].id,
    }
    unknown = {"case_id": "c0000unknown", "import_id": "i0000unknown", "review_id": "d0000unk"}
    requests = id_requests(world)
    assert paths_with_ids() <= set(requests), "a new endpoint with an id: add it here"
    before = await api.case(case["id"], home.coordinator)

    for walker in (away.ml_referents[0], away.coordinator):
        for (method, template), body in requests.items():
            answers = []
            for ids in (world, unknown):
                path = template.format(**ids)
                answers.append(
                    await api.http.request(method, path, json=body, headers=walker.headers)
                )
            foreign, missing = answers
            label = f"{method} {template} as {walker.id}"
            assert foreign.status_code in (403, 404), label
            assert (foreign.status_code, foreign.json()) == (missing.status_code, missing.json())
            assert "Martin" not in foreign.text and "Note privée" not in foreign.text, label

    after = await api.case(case["id"], home.coordinator)
    assert after == before  # nothing happened to the case
    notes = await api.http.get(f"/cases/{case['id']}/notes", headers=home.coordinator.headers)
    assert [n["text"] for n in notes.json()] == ["Note privée"]


def elsewhere(platform_id: str) -> dict[str, Any]:
    person = {"last_name": "Martin", "first_name": "Léa", "birth_date": ADULT.isoformat()}
    return {"platform_id": platform_id, "source": "cio", "person": person}


async def test_a_coordinators_lists_and_references_stay_inside_their_platform(api: Api) -> None:
    (home, postal_code), away = await local_team(api), await api.team()
    case = await api.create_case(home, birth_date=ADULT)
    await review_of(api, home, postal_code)
    await api.case(case["id"], home.coordinator)  # a logged read on the home platform
    outsider, own_case = away.coordinator, await api.create_case(away, birth_date=ADULT)
    home_referent = case["referent_id"]

    async def get(path: str, **params: str) -> httpx.Response:
        return await api.http.get(path, params=params, headers=outsider.headers)

    listed = await get("/cases", platform_id=home.platform_id)
    by_referent = await get("/cases", referent_id=home_referent)
    reviews = await get("/duplicates")
    log = await get("/access-log")
    assert listed.json()["total"] == by_referent.json()["total"] == 0
    assert reviews.json() == []
    assert case["id"] not in log.text

    # Another platform's ids answer exactly what unknown ids answer.
    pairs = [
        (
            await get("/indicators", platform_id=home.platform_id),
            await get("/indicators", platform_id="psad-inconnue"),
        ),
        (
            await api.http.post(
                f"/cases/{own_case['id']}/assign",
                json={"referent_id": home_referent},
                headers=outsider.headers,
            ),
            await api.http.post(
                f"/cases/{own_case['id']}/assign",
                json={"referent_id": "u-inconnu"},
                headers=outsider.headers,
            ),
        ),
        (
            await api.http.post(
                "/cases", json=elsewhere(home.platform_id), headers=outsider.headers
            ),
            await api.http.post(
                "/cases", json=elsewhere("psad-inconnue"), headers=outsider.headers
            ),
        ),
    ]
    for foreign, missing in pairs:
        assert foreign.status_code == missing.status_code
        assert foreign.status_code in (404, 422)
        assert foreign.json() == missing.json()
    bulk = await api.http.post(
        "/cases/assign",
        json={"case_ids": [case["id"], "c0000unknown"], "referent_id": away.ml_referents[0].id},
        headers=outsider.headers,
    )
    first, second = bulk.json()
    assert first["ok"] is second["ok"] is False
    assert first["error"] == second["error"] == "Dossier introuvable."
    assert (await api.case(case["id"], home.coordinator))["referent_id"] == home_referent


# ---------------------------------------------------------------- injection in free text


async def hostile_team(api: Api, policy: dict[str, Any]) -> tuple[Team, dict[str, str]]:
    """A platform whose names (platform, structures, staff) are injection attempts."""
    names = {"platform": injected(20), "structure": injected(21), "referent": injected(22)}
    platform_id = f"psad-{uuid.uuid4().hex[:8]}"
    body = {"id": platform_id, "name": names["platform"], "region": injected(23)}
    await api.admin_post("/admin/platforms", body | {"policy": policy})
    ml = f"ml-{platform_id}"
    for sid, kind in ((ml, "mission_locale"), (f"mlds-{platform_id}", "mlds")):
        structure = {"id": sid, "platform_id": platform_id, "name": names["structure"]}
        await api.admin_post("/admin/structures", structure | {"kind": kind})
    user = {
        "display_name": names["referent"],
        "email": f"ref-{uuid.uuid4().hex[:6]}@psad.filrouge.fr",
        "role": "referent",
        "platform_id": platform_id,
        "structure_id": ml,
    }
    created = await api.admin_post("/admin/users", user)
    async with transaction(api.sessions) as session:  # the user's own token, made in setup
        issued = await create_token(session, created["user"]["id"], "tests", created["user"]["id"])
    referent = Member(created["user"]["id"], issued.token, ml)
    team = Team(
        platform_id=platform_id,
        coordinator=await api.user("coordinateur", platform_id),
        ml_referents=[referent],
        mlds_referent=await api.user("referent", platform_id, f"mlds-{platform_id}"),
        partner=await api.user("partenaire", platform_id),
    )
    return team, names


PERSON_TEXTS = (
    "last_name",
    "first_name",
    "address",
    "commune_name",
    "guardian_name",
    "school_name",
    "last_training",
)


def html_part(message: EmailMessage) -> str:
    part = message.get_body(("html",))
    assert part is not None
    return str(part.get_content())  # type: ignore[attr-defined]


def assert_escaped(html: str, texts: list[str]) -> None:
    """Every hostile text is in the page, escaped: no tag or attribute of theirs is live."""
    for live in ("<script>", "<img src=x", "<b>Lou</b>", "49 oui"):
        assert live not in html, live
    for text in texts:
        escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        escaped = escaped.replace('"', "&#34;").replace("'", "&#39;")
        assert escaped in html, text


async def test_injection_in_every_text_field_is_stored_verbatim_and_echoed_escaped(
    api: Api, smtp_sink: MailSink
) -> None:
    team, names = await hostile_team(api, {"interview_reminder_before": "P10D"})
    person = {name: injected(i) for i, name in enumerate(PERSON_TEXTS)} | {"level": "CAP <b>"}
    email = f"jeune-{uuid.uuid4().hex[:6]}@exemple.fr"
    person |= {"birth_date": ADULT.isoformat(), "email": email, "convocation_consent": True}
    body = {"platform_id": team.platform_id, "source": "cio", "person": person}
    created = await api.http.post("/cases", json=body, headers=team.coordinator.headers)
    assert created.status_code == 201, created.text
    case_id, referent, coordinator = created.json()["id"], team.ml_referents[0], team.coordinator
    at = (datetime.now(UTC) + timedelta(days=1)).replace(microsecond=0).isoformat()
    solution = {"type": "e2c", "structure": injected(8), "start_date": TODAY.isoformat()}
    texts = {
        "contact-outcome": {"outcome": "accepte_entretien", "reason": injected(9)},
        "interview": {"at": at, "place": injected(10)},
        "interview/result": {"held": True},
        "proposals": {"solutions": [solution]},
        "decision": {"decision": "modifier", "comment": injected(11)},
        "close": {"outcome": "autre", "reason": injected(12)},
        "reopen": {"reason": injected(13)},
    }
    for path, step in texts.items():
        who = coordinator if path == "decision" else referent
        await api.step(case_id, path, step, who)
    note = await api.http.post(
        f"/cases/{case_id}/notes", json={"text": injected(14)}, headers=referent.headers
    )
    assert note.status_code == 201
    patch = {"guardian_name": injected(15), "commune_name": injected(16)}
    rectified = await api.http.patch(
        f"/cases/{case_id}/person", json=patch, headers=referent.headers
    )
    assert rectified.status_code == 200, rectified.text
    stored = person | patch

    export = (await api.http.get(f"/cases/{case_id}/export", headers=coordinator.headers)).json()
    leaves = set(strings(export))
    for name in (*PERSON_TEXTS, "level"):
        assert export["person"][name] == stored[name], name
    free_texts = [injected(i) for i in range(9, 15)] + [injected(8)]
    assert not [text for text in free_texts if text not in leaves]
    admin_lists = [
        (await api.http.get(path, headers=api.admin.headers)).json()
        for path in ("/admin/platforms", "/admin/structures", "/admin/users")
    ]
    assert set(names.values()) <= set(strings(admin_lists))

    page = await api.http.get(f"/cases/{case_id}/export.html", headers=coordinator.headers)
    assert page.headers["content-type"].startswith("text/html")
    assert_escaped(page.text, [stored[name] for name in PERSON_TEXTS] + free_texts)

    convocation = html_part(await mail_for(smtp_sink, email))
    assert_escaped(convocation, [stored["first_name"], *names.values()] * 1)


async def test_injection_in_an_import_is_escaped_in_the_summary_mail(
    api: Api, smtp_sink: MailSink
) -> None:
    team = await api.team()
    header = [*HEADER, injected(2)]  # an unknown column: listed as ignored in the mail
    rows = [header, ["Martin", "Léa", ADULT.strftime("%d/%m/%Y"), "31000", "", "", "", "x"]]
    filename = f"{injected(1)} {injected(5)}.csv"
    imported = await upload(api, team.coordinator, csv_bytes(rows), filename=filename)

    found = await mails_for(smtp_sink, also=lambda m: imported["id"] in html_part(m))
    assert_escaped(html_part(found[0]), [filename, injected(2)])
    read = await api.http.get(f"/imports/{imported['id']}", headers=team.coordinator.headers)
    assert read.json()["filename"] == filename
    assert injected(2) in read.json()["ignored_columns"]
