"""Data-subject rights over HTTP: export (JSON, printable HTML), rectification, erasure."""

from __future__ import annotations

import html as html_module
import re
import uuid
from datetime import date, datetime, timedelta
from typing import Any

from temporalio.testing import WorkflowEnvironment

from filrouge.core.local_time import french_datetime
from tests.api.conftest import Api, Team
from tests.support.pathway import pathway_steps
from tests.support.waiting import eventually, history_deleted

TODAY = date.today()
INJECTION = "<script>alert('x')</script> =HYPERLINK(\"http://x\")"


def born(years: int) -> date:
    return date(TODAY.year - years, TODAY.month, min(TODAY.day, 28)) - timedelta(days=90)


async def new_case(api: Api, team: Team, **person: Any) -> dict[str, Any]:
    body = {"last_name": "Martin", "first_name": "Léa", "birth_date": born(19).isoformat()}
    payload = {"platform_id": team.platform_id, "source": "siei", "person": body | person}
    response = await api.http.post("/cases", json=payload, headers=team.coordinator.headers)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def test_export_json_and_printable_page_with_escaped_text(api: Api) -> None:
    team, other = await api.team(), await api.team()
    case = await new_case(api, team, school_name=INJECTION)
    headers = team.coordinator.headers
    await api.http.post(f"/cases/{case['id']}/notes", json={"text": INJECTION}, headers=headers)

    exported = await api.http.get(f"/cases/{case['id']}/export", headers=headers)
    page = await api.http.get(f"/cases/{case['id']}/export.html", headers=headers)
    foreign = await api.http.get(f"/cases/{case['id']}/export", headers=other.coordinator.headers)
    by_referent = await api.http.get(
        f"/cases/{case['id']}/export", headers=team.member(case["referent_id"]).headers
    )

    body = exported.json()
    assert body["person"]["last_name"] == "Martin"
    assert body["case"]["id"] == case["id"]
    assert body["history"][0]["kind"] == "case_identified"
    assert [n["text"] for n in body["notes"]] == [INJECTION]
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "Martin" in page.text and "droit d'accès" in page.text
    assert "<script>" not in page.text and "&lt;script&gt;" in page.text
    assert foreign.status_code == 404
    assert by_referent.status_code == 403
    log = await api.http.get(f"/cases/{case['id']}/access-log", headers=headers)
    assert {"export", "export_html"} <= {e["view"] for e in log.json()["items"]}


async def test_rectification_is_validated_and_audited_by_field_name(api: Api) -> None:
    team = await api.team()
    case = await new_case(api, team, phone="0611223344")
    referent = team.member(case["referent_id"])
    colleague = next(r for r in team.ml_referents if r.id != referent.id)
    path = f"/cases/{case['id']}/person"

    changed = await api.http.patch(
        path, json={"phone": "06 99 88 77 66", "commune_name": "Albi"}, headers=referent.headers
    )
    invalid = await api.http.patch(path, json={"phone": "12"}, headers=referent.headers)
    missing = await api.http.patch(path, json={"last_name": None}, headers=referent.headers)
    forbidden = await api.http.patch(path, json={"sante": "x"}, headers=referent.headers)
    read_only = await api.http.patch(path, json={"level": "3e"}, headers=colleague.headers)

    assert changed.status_code == 200, changed.text
    assert changed.json()["changed_fields"] == ["commune_name", "phone"]
    assert (await api.case(case["id"], referent))["person"]["phone"] == "0699887766"
    assert invalid.status_code == 422 and missing.status_code == 422
    assert forbidden.json()["code"] == "categorie_interdite"
    assert read_only.status_code == 403
    history = await api.http.get(f"/cases/{case['id']}/history", headers=referent.headers)
    event = next(e for e in history.json() if e["kind"] == "person_rectified")
    assert event["data"] == {"fields": ["commune_name", "phone"]}
    assert event["actor_id"] == referent.id
    assert "0699887766" not in history.text


async def test_a_rectified_birth_date_reaches_the_matching_key_and_the_workflow(api: Api) -> None:
    team = await api.team()
    name = f"Rectifie{uuid.uuid4().hex[:6]}"
    case = await new_case(api, team, last_name=name)
    headers, rectified_birth = team.coordinator.headers, born(17).isoformat()

    changed = await api.http.patch(
        f"/cases/{case['id']}/person", json={"birth_date": rectified_birth}, headers=headers
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["changed_fields"] == ["birth_date"]

    async def rectified() -> tuple[list[dict[str, Any]], str] | None:
        history = await api.http.get(f"/cases/{case['id']}/history", headers=headers)
        moved = [e for e in history.json() if e["kind"] == "birth_date_rectified"]
        return (moved, history.text) if moved else None

    # The case workflow records it once the rectification committed.
    moved, history = await eventually(rectified, within=60)
    assert [e["data"] for e in moved] == [{"fields": ["birth_date"]}]
    assert rectified_birth not in history

    person = {"last_name": name, "first_name": "Léa", "birth_date": rectified_birth}
    twin = {"platform_id": team.platform_id, "source": "cio", "person": person}
    again = await api.http.post("/cases", json=twin, headers=headers)
    assert again.status_code == 202, again.text  # matched on the rectified name key
    assert again.json()["status"] == "duplicate_review"


async def test_erasure_closes_erases_and_keeps_the_chain(
    api: Api, dev_env: WorkflowEnvironment
) -> None:
    team = await api.team()
    case = await new_case(api, team, email="lea@example.org")
    headers = team.coordinator.headers
    await api.http.post(f"/cases/{case['id']}/notes", json={"text": "Léa"}, headers=headers)

    erased = await api.http.post(f"/cases/{case['id']}/erase", headers=headers)
    again = await api.http.post(f"/cases/{case['id']}/erase", headers=headers)

    assert erased.status_code == 200, erased.text
    assert erased.json()["closed"] is True and erased.json()["erased"] is True
    assert again.status_code == 200 and again.json()["erased"] is False
    read = await api.case(case["id"], team.coordinator)
    assert read["person"] is None
    assert read["stage"] == "cloture" and read["outcome"] == "autre"
    export = (await api.http.get(f"/cases/{case['id']}/export", headers=headers)).json()
    assert export["person"] is None and export["notes"] == []
    kinds = [e["kind"] for e in export["history"]]
    assert kinds.count("personal_data_erased") == 1
    assert "effacement à la demande" not in str(export["history"])
    verify = await api.http.get(f"/cases/{case['id']}/history/verify", headers=headers)
    assert verify.json()["ok"] is True
    await history_deleted(dev_env.client, case["id"])


async def test_erasure_is_refused_while_the_obligation_de_formation_runs(api: Api) -> None:
    team = await api.team()
    case = await new_case(api, team, birth_date=born(16).isoformat())
    referent = team.member(case["referent_id"])
    await api.step(case["id"], "summons", {"on": TODAY.isoformat()}, referent)

    refused = await api.http.post(f"/cases/{case['id']}/erase", headers=team.coordinator.headers)
    by_referent = await api.http.post(f"/cases/{case['id']}/erase", headers=referent.headers)

    assert refused.status_code == 409
    assert "obligation de formation" in refused.json()["message"]
    assert by_referent.status_code == 403
    assert (await api.case(case["id"], team.coordinator))["person"]["last_name"] == "Martin"


def _visible_text(html: str) -> str:
    """What a reader of the printable page sees (no style sheet, no tags)."""
    body = html.split("<body>", 1)[1]
    return re.sub(r"\s+", " ", html_module.unescape(re.sub(r"<[^>]+>", " ", body)))


async def test_the_printable_export_reads_in_french_in_the_platform_s_time_zone(api: Api) -> None:
    team = await api.team(name="PSAD Cayenne")
    zone_path = f"/admin/platforms/{team.platform_id}/time-zone"
    chosen = await api.http.put(
        zone_path, json={"time_zone": "America/Cayenne"}, headers=api.admin.headers
    )
    assert chosen.status_code == 200, chosen.text
    case = await new_case(api, team, leaving_date="2026-06-30")
    for step in pathway_steps(team, case, through="follow-ups"):
        await api.step(case["id"], step.path, step.body, step.who)
    headers = team.coordinator.headers
    await api.http.post(f"/cases/{case['id']}/notes", json={"text": "Appel"}, headers=headers)

    page = await api.http.get(f"/cases/{case['id']}/export.html", headers=headers)
    events = (await api.http.get(f"/cases/{case['id']}/export", headers=headers)).json()["history"]

    text = _visible_text(page.text)
    assert not re.findall(r"\b[a-z]+_[a-z_]+\b", text), "codes or English event names"
    assert not re.findall(r"\d{4}-\d{2}-\d{2}", text), "ISO dates"
    for french in (
        "plateforme PSAD Cayenne",
        "Origine du repérage liste SIEI",
        "Étape clôturé",
        "Issue maintenu en solution",
        "Date de sortie 30 juin 2026",
        "Repérage : liste SIEI",
        "Tentative de contact par SMS : joint",
        "Passage à l’étape « prise de contact »",
        "Décision du coordinateur : validée — ok",
        "Solutions proposées : École de la 2e chance (E2C, à partir du",
        "Dossier attribué automatiquement à referent",
    ):
        assert french in text, (french, text)
    first = datetime.fromisoformat(events[0]["occurred_at"])
    assert french_datetime(first, "America/Cayenne") in text
    assert french_datetime(first, "Europe/Paris") not in text
