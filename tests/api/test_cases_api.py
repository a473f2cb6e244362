"""Cases over HTTP: creation and assignment, access rules, every step, lists, history, audit."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.testing import WorkflowEnvironment

from filrouge.mail.sink import MailSink
from filrouge.store.engine import transaction
from filrouge.store.models import AuditEvent
from tests.api.conftest import Api, Member, Team, running_api
from tests.support.pathway import pathway_steps
from tests.support.waiting import eventually

TODAY = date.today()


def born(years: int, months: int = 3) -> date:
    """A birth date making the young person `years` old (and a few months) today."""
    return date(TODAY.year - years, TODAY.month, min(TODAY.day, 28)) - timedelta(days=30 * months)


# Pydantic's own (English) wording must not reach the users.
ENGLISH = ("Input should", "Value error", "should match", "value is not", "Field required")


def key() -> str:
    return f"k-{uuid.uuid4().hex}"


async def audit_rows(sessions: async_sessionmaker[AsyncSession], case_id: str) -> list[AuditEvent]:
    async with transaction(sessions) as session:
        query = select(AuditEvent).where(AuditEvent.case_id == case_id).order_by(AuditEvent.seq)
        return list((await session.execute(query)).scalars())


def referent_of(team: Team, case: dict[str, Any]) -> Member:
    return team.member(case["referent_id"])


# ---------------------------------------------------------------- creation and assignment


async def test_recent_leaver_under_18_goes_to_the_mlds_others_to_the_mission_locale(
    api: Api,
) -> None:
    team = await api.team()
    recent = TODAY - timedelta(days=90)

    minor = await api.create_case(team, birth_date=born(17), leaving_date=recent)
    adult = await api.create_case(team, birth_date=born(19), leaving_date=recent)
    old_leaver = await api.create_case(
        team, birth_date=born(17), leaving_date=TODAY - timedelta(days=500)
    )

    assert minor["stage"] == "contact"
    assert minor["referent_id"] == team.mlds_referent.id
    assert minor["structure_id"] == f"mlds-{team.platform_id}"
    assert minor["person"]["first_name"] == "Léa"
    ml_ids = [m.id for m in team.ml_referents]
    assert adult["structure_id"] == old_leaver["structure_id"] == f"ml-{team.platform_id}"
    # Least loaded first: the second Mission locale case goes to the other référent.
    assert {adult["referent_id"], old_leaver["referent_id"]} == set(ml_ids)


async def test_assignment_balances_the_open_workload(api: Api) -> None:
    team = await api.team()
    first = await api.create_case(team)
    second = await api.create_case(team)
    # Closing the first référent's case frees them: they get the next one.
    await api.step(first["id"], "close", {"outcome": "hors_champ"}, team.coordinator)

    third = await api.create_case(team)

    assert first["referent_id"] != second["referent_id"]
    assert third["referent_id"] == first["referent_id"]


async def test_replayed_creation_returns_the_same_case_without_a_second_one(api: Api) -> None:
    team = await api.team()
    k = key()

    # The same body: the same key with another body is refused (test_creation_replay.py).
    young = {"last_name": "Martin", "first_name": "Léa", "birth_date": "2004-05-12"}
    person = young | {"ine": f"{uuid.uuid4().int % 10**10:010d}K"}
    first = await api.create_case(team, key=k, person=person)
    replay = await api.create_case(team, key=k, expect=200, person=person)

    assert replay["id"] == first["id"]
    assert replay["referent_id"] == first["referent_id"]
    listed = await api.http.get("/cases", headers=team.coordinator.headers)
    assert listed.json()["total"] == 1
    kinds = [row.kind for row in await audit_rows(api.sessions, first["id"])]
    assert kinds.count("case_identified") == 1


async def test_a_partner_referral_is_acknowledged_without_the_file(api: Api) -> None:
    team = await api.team()

    ack = await api.create_case(team, by=team.partner, source="association")
    read = await api.http.get(f"/cases/{ack['id']}", headers=team.partner.headers)
    listed = await api.http.get("/cases", headers=team.partner.headers)

    assert ack["person"] is None
    assert ack["stage"] == "contact"
    # A partner's role never reads case files: refused by role, whether the case exists or not.
    assert read.status_code == 403
    assert listed.status_code == 403


async def test_under_16_is_refused_in_french_and_nothing_is_created(api: Api) -> None:
    team = await api.team()

    refused = await api.create_case(team, birth_date=born(15, months=6), expect=422)

    assert refused["message"] == (
        "Le jeune a moins de 16 ans à la date de repérage : il ne peut être suivi."
    )
    listed = await api.http.get("/cases", headers=team.coordinator.headers)
    assert listed.json()["total"] == 0


async def test_creation_checks_the_platform_and_the_identification_date(api: Api) -> None:
    team, other = await api.team(), await api.team()

    elsewhere = await api.create_case(team, by=other.coordinator, expect=404)
    future = await api.create_case(
        team, identified_on=(TODAY + timedelta(days=3)).isoformat(), expect=422
    )

    assert elsewhere["message"] == "Plateforme introuvable."
    assert future["message"] == "La date de repérage ne peut pas être dans le futur."


async def test_malformed_creation_bodies_answer_422_with_details(api: Api) -> None:
    team = await api.team()
    person = {"last_name": "Martin", "first_name": "Léa", "birth_date": "2007-03-01"}
    base = {"platform_id": team.platform_id, "source": "siei", "person": person}
    cases: list[tuple[dict[str, Any], str, str]] = [
        (person | {"birth_date": "2007-02-30"}, "birth_date", "date invalide (AAAA-MM-JJ)"),
        (person | {"remarque": "FR"}, "remarque", "champ non autorisé"),
        (person | {"phone": "12 34"}, "phone", "numéro de téléphone invalide (ex. 06 12 34 56 78)"),
        (person | {"school_uai": "0310001"}, "school_uai", "format invalide"),
        (person | {"email": "lea@"}, "email", "adresse électronique invalide"),
        (person | {"convocation_consent": "bof"}, "convocation_consent", "booléen attendu"),
    ]
    bodies = [(base | {"person": p}, f"person.{field}", text) for p, field, text in cases]
    bodies += [
        (base | {"source": "reseau_social"}, "source", "valeur non autorisée"),
        ({"platform_id": team.platform_id, "source": "siei"}, "person", "champ obligatoire"),
    ]
    for body, field, text in bodies:
        response = await api.http.post("/cases", json=body, headers=team.coordinator.headers)
        assert response.status_code == 422, field
        payload = response.json()
        assert payload["code"] == "donnees_invalides"
        assert payload["message"].startswith("La requête contient des données invalides : « ")
        messages = {d["champ"]: d["message"] for d in payload["details"]}
        assert messages[field].split(" : ", 1)[1].startswith(text), payload

    not_json = await api.http.post(
        "/cases",
        content=b"{pas du json",
        headers=team.coordinator.headers | {"Content-Type": "application/json"},
    )
    assert not_json.status_code == 422
    assert not_json.json()["details"]


# ---------------------------------------------------------------- access rules


async def test_unknown_and_foreign_cases_answer_404_without_leaking(api: Api) -> None:
    team, other = await api.team(), await api.team()
    case = await api.create_case(team)
    outsider = other.coordinator

    for path in ("", "/history", "/history/verify"):
        unknown = await api.http.get(f"/cases/cunknown{path}", headers=team.coordinator.headers)
        foreign = await api.http.get(f"/cases/{case['id']}{path}", headers=outsider.headers)
        assert unknown.status_code == foreign.status_code == 404, path
        assert (
            unknown.json()
            == foreign.json()
            == {
                "code": "introuvable",
                "message": "Dossier introuvable.",
            }
        )
    body = {"channel": "telephone", "result": "joint"}
    await api.step(case["id"], "contact-attempts", body, outsider, expect=404)
    await api.step(case["id"], "decision", {"decision": "valider"}, outsider, expect=404)
    await api.step("cunknown", "contact-attempts", body, team.coordinator, expect=404)
    listed = await api.http.get(
        "/cases", params={"platform_id": team.platform_id}, headers=outsider.headers
    )
    assert listed.json()["total"] == 0


async def test_missing_or_invalid_token_answers_401(api: Api) -> None:
    team = await api.team()
    case = await api.create_case(team)
    attempts: list[dict[str, str]] = [
        {},
        {"Authorization": "Bearer "},
        {"Authorization": "Bearer fr_not-a-token"},
        {"Authorization": f"Basic {team.coordinator.token}"},
    ]
    for headers in attempts:
        for method, path in (
            ("GET", "/cases"),
            ("GET", f"/cases/{case['id']}"),
            ("POST", f"/cases/{case['id']}/contact-attempts"),
            ("POST", "/cases"),
        ):
            body = {"channel": "sms", "result": "joint"} if method == "POST" else None
            response = await api.http.request(method, path, json=body, headers=headers)
            assert response.status_code == 401, (headers, path)
            assert response.json()["code"] == "non_authentifie"


async def test_a_referent_cannot_take_the_coordinator_decision(api: Api) -> None:
    team = await api.team()
    case = await api.create_case(team)
    referent = referent_of(team, case)

    decision = await api.step(case["id"], "decision", {"decision": "valider"}, referent, expect=403)
    assign = await api.step(
        case["id"], "assign", {"referent_id": referent.id}, referent, expect=403
    )

    assert decision["message"] == assign["message"]
    assert decision["message"] == "Cette action n'est pas autorisée pour votre rôle."
    assert (await api.case(case["id"], referent))["stage"] == "contact"


async def test_a_step_not_allowed_in_the_stage_is_a_conflict_with_the_reason(api: Api) -> None:
    team = await api.team()
    case = await api.create_case(team)
    referent = referent_of(team, case)

    decision = await api.step(
        case["id"], "decision", {"decision": "valider"}, team.coordinator, expect=409
    )
    result = await api.step(case["id"], "interview/result", {"held": True}, referent, expect=409)
    reopen = await api.step(case["id"], "reopen", {"reason": "retour"}, referent, expect=409)
    close = await api.step(case["id"], "close", {"outcome": "autre"}, referent, expect=409)

    assert decision["message"] == (
        "Action « décision du coordinateur » impossible : le dossier est à l'étape "
        "« prise de contact » (étapes possibles : décision)."
    )
    assert "compte rendu d'entretien" in result["message"]
    assert "rouvrir le dossier" in reopen["message"]
    assert close["message"] == "Précisez le motif de clôture pour l'issue « autre »."
    after = await api.case(case["id"], referent)
    assert after["stage"] == "contact"
    assert [r.kind for r in await audit_rows(api.sessions, case["id"])][-1] == "stage_changed"


async def test_malformed_step_bodies_answer_422_with_details(api: Api) -> None:
    team = await api.team()
    case = await api.create_case(team)
    referent = referent_of(team, case)
    naive = datetime(2030, 1, 1, 10, 0).isoformat()
    cases: list[tuple[str, dict[str, Any], str]] = [
        ("contact-attempts", {"channel": "pigeon", "result": "joint"}, "channel"),
        ("contact-attempts", {"channel": "sms", "result": "joint", "note": "x"}, "note"),
        ("interview", {"at": naive}, "at"),
        ("proposals", {"solutions": []}, "solutions"),
        (
            "proposals",
            {"solutions": [{"type": "e2c", "structure": "E2C"}]},
            "solutions.0.start_date",
        ),
        ("entry", {"entered": True, "on": "demain"}, "on"),
        ("follow-ups", {"status": "peut-etre"}, "status"),
        ("reopen", {}, "reason"),
    ]
    for path, body, field in cases:
        response = await api.step(case["id"], path, body, referent, expect=422)
        messages = {d["champ"]: d["message"] for d in response["details"]}
        assert field in messages, (path, response)
        assert not any(english in messages[field] for english in ENGLISH), messages


# ---------------------------------------------------------------- the pathway


async def test_complete_pathway_through_http_each_read_sees_the_write(api: Api) -> None:
    team = await api.team()
    case = await api.create_case(team, birth_date=born(19))
    case_id, referent, coordinator = case["id"], referent_of(team, case), team.coordinator
    interview_at = (datetime.now(UTC) + timedelta(days=3)).replace(microsecond=0)
    start = (TODAY + timedelta(days=10)).isoformat()
    solution = {"type": "e2c", "structure": "E2C Toulouse", "start_date": start}
    failed = {"channel": "telephone", "result": "pas_de_reponse"}
    texts: dict[str, Any] = {
        "contact-attempts": [failed, {"channel": "sms", "result": "joint"}],
        "interview": {"at": interview_at.isoformat(), "place": "CIO Mirail"},
        "proposals": {"solutions": [solution]},
        "decision": [
            {"decision": "commission"},
            {"decision": "valider", "comment": "Accord E2C"},
        ],
    }
    steps = [(s.path, s.body, s.who, s.stage) for s in pathway_steps(team, case, bodies=texts)]
    assert [stage for *_, stage in steps] == [
        *["contact", "contact", "bilan", "bilan", "proposition", "decision", "decision"],
        *["entree", "suivi", "suivi", "suivi", "cloture"],
    ]
    version = -1
    for path, body, who, stage in steps:
        result = await api.step(case_id, path, body, who)
        read = await api.case(case_id, referent)
        assert result["stage"] == read["stage"] == stage, path
        assert result["version"] > version, path
        version = result["version"]
        if path == "contact-attempts":
            assert read["failed_attempts"] == 1
        if path == "interview":
            assert datetime.fromisoformat(read["interview_at"]) == interview_at
            assert read["next_deadline"]["kind"] == "interview_reminder"
        if path == "entry":
            assert read["next_deadline"]["kind"] == "follow_up_due"

    closed = await api.case(case_id, coordinator)
    assert closed["outcome"] == "maintenu_en_solution"
    assert closed["closed_at"] is not None


async def test_close_then_reopen_keeps_the_history(api: Api) -> None:
    team = await api.team()
    case = await api.create_case(team)
    referent = referent_of(team, case)

    closed = await api.step(case["id"], "close", {"outcome": "refus"}, referent)
    read_closed = await api.case(case["id"], referent)
    reopened = await api.step(case["id"], "reopen", {"reason": "Le jeune rappelle"}, referent)
    read_open = await api.case(case["id"], referent)

    assert closed["stage"] == read_closed["stage"] == "cloture"
    assert read_closed["outcome"] == "refus"
    assert reopened["stage"] == read_open["stage"] == "contact"
    assert read_open["outcome"] is None and read_open["closed_at"] is None
    assert read_open["referent_id"] == referent.id
    history = (await api.http.get(f"/cases/{case['id']}/history", headers=referent.headers)).json()
    assert [e["kind"] for e in history].count("stage_changed") == 3
    assert {"case_closed", "case_reopened"} <= {e["kind"] for e in history}


async def test_replayed_step_returns_the_same_result_and_one_audit_row(api: Api) -> None:
    team = await api.team()
    case = await api.create_case(team)
    referent = referent_of(team, case)
    attempt, outcome = key(), key()
    body = {"channel": "telephone", "result": "faux_numero"}

    first = await api.step(case["id"], "contact-attempts", body, referent, key=attempt)
    again = await api.step(case["id"], "contact-attempts", body, referent, key=attempt)
    moved = await api.step(
        case["id"], "contact-outcome", {"outcome": "accepte_entretien"}, referent, key=outcome
    )
    # Replayed after the case moved on: still the original answer, not a 409.
    late = await api.step(
        case["id"], "contact-outcome", {"outcome": "accepte_entretien"}, referent, key=outcome
    )

    assert again == first
    assert late == moved
    read = await api.case(case["id"], referent)
    assert read["failed_attempts"] == 1
    assert read["stage"] == "bilan"
    kinds = [row.kind for row in await audit_rows(api.sessions, case["id"])]
    assert kinds.count("contact_attempt") == 1
    assert kinds.count("contact_outcome") == 1


async def test_a_key_reused_for_another_step_or_by_another_user_does_not_replay(
    api: Api,
) -> None:
    team = await api.team()
    case = await api.create_case(team)
    referent, shared = referent_of(team, case), key()
    attempt = {"channel": "sms", "result": "joint"}

    first = await api.step(case["id"], "contact-attempts", attempt, referent, key=shared)
    other_user = await api.step(case["id"], "contact-attempts", attempt, team.coordinator, shared)
    other_step = await api.step(
        case["id"], "contact-outcome", {"outcome": "accepte_entretien"}, referent, key=shared
    )

    assert other_user["version"] == first["version"] + 1
    assert other_step["stage"] == "bilan"
    kinds = [row.kind for row in await audit_rows(api.sessions, case["id"])]
    assert kinds.count("contact_attempt") == 2
    assert kinds.count("contact_outcome") == 1


async def test_the_longest_accepted_idempotency_key_works(api: Api) -> None:
    team = await api.team()
    case = await api.create_case(team, key="c" * 200)
    referent, long_key = referent_of(team, case), "s" * 200
    body = {"channel": "telephone", "result": "pas_de_reponse"}

    first = await api.step(case["id"], "contact-attempts", body, referent, key=long_key)
    again = await api.step(case["id"], "contact-attempts", body, referent, key=long_key)
    too_long = await api.step(
        case["id"], "contact-attempts", body, referent, key="s" * 201, expect=422
    )

    assert again == first
    assert too_long["details"][0]["champ"] == "header.Idempotency-Key"


# ---------------------------------------------------------------- lists


async def test_list_filters_by_stage_and_referent_with_pagination(api: Api) -> None:
    team = await api.team()
    cases = [await api.create_case(team, birth_date=born(20)) for _ in range(3)]
    moved = cases[0]
    await api.step(
        moved["id"], "contact-outcome", {"outcome": "accepte_entretien"}, referent_of(team, moved)
    )
    headers = team.coordinator.headers

    async def ids(**params: Any) -> tuple[set[str], int]:
        response = await api.http.get("/cases", params=params, headers=headers)
        assert response.status_code == 200, response.text
        page = response.json()
        assert all(item["person"] is None for item in page["items"])  # no identities in lists
        return {c["id"] for c in page["items"]}, page["total"]

    everything = {c["id"] for c in cases}
    assert await ids() == (everything, 3)
    assert await ids(stage="bilan") == ({moved["id"]}, 1)
    assert await ids(stage="contact") == (everything - {moved["id"]}, 2)
    assert await ids(stage="cloture") == (set(), 0)
    referent = moved["referent_id"]
    own = {c["id"] for c in cases if c["referent_id"] == referent}
    assert await ids(referent_id=referent) == (own, len(own))
    first, total = await ids(limit=2, offset=0)
    rest, _ = await ids(limit=2, offset=2)
    assert total == 3 and len(first) == 2 and len(rest) == 1
    assert first | rest == everything
    assert await ids(overdue="true") == (set(), 0)

    refusals: dict[str, tuple[str | int, str]] = {
        "stage": ("perdu", "« étape » : valeur non autorisée"),
        "limit": (0, "« nombre de résultats » : valeur trop petite (minimum : 1)"),
        "offset": (-1, "« décalage » : valeur trop petite (minimum : 0)"),
    }
    for name, (value, text) in refusals.items():
        response = await api.http.get("/cases", params={name: value}, headers=headers)
        assert response.status_code == 422, name
        assert response.json()["details"] == [
            {"field": f"query.{name}", "champ": f"query.{name}", "message": text}
        ]
    too_many = await api.http.get("/cases", params={"limit": 500}, headers=headers)
    assert too_many.json()["details"][0]["message"].endswith(": valeur trop grande (maximum : 200)")


async def test_overdue_lists_the_cases_whose_deadline_has_passed(
    dev_env: WorkflowEnvironment,
    database_url: str,
    sessions: async_sessionmaker[AsyncSession],
    smtp_sink: MailSink,
) -> None:
    """A deadline passed and not yet handled is flagged (worker stopped, so it cannot fire)."""
    async with running_api(dev_env, database_url, sessions, smtp_sink.port) as api:
        # The worker stops 0.02 s after `late` is created (measured with three busy loops on
        # the two cores): far within its 2 s reminder.
        team = await api.team(policy={"reminder_no_contact": "PT2S"})
        async with api.new_worker():
            on_time = await api.create_case(team)
            await api.step(
                on_time["id"],
                "contact-outcome",
                {"outcome": "accepte_entretien"},
                referent_of(team, on_time),
            )
            late = await api.create_case(team)
        assert late["next_deadline"]["kind"] == "no_contact_reminder"

        async def overdue() -> httpx.Response | None:
            response = await api.http.get(
                "/cases", params={"overdue": "true"}, headers=team.coordinator.headers
            )
            return response if response.json()["items"] else None

        response = await eventually(overdue, within=40)  # the 2 s reminder falls due
        read = await api.case(late["id"], team.coordinator)

    page = response.json()
    assert [c["id"] for c in page["items"]] == [late["id"]]
    assert page["total"] == 1
    assert page["items"][0]["next_deadline"]["overdue"] is True
    assert read["next_deadline"]["overdue"] is True


# ---------------------------------------------------------------- history and audit chain


async def test_history_is_in_order_with_its_actors(api: Api) -> None:
    team = await api.team()
    case = await api.create_case(team)
    referent = referent_of(team, case)
    await api.step(case["id"], "contact-attempts", {"channel": "sms", "result": "joint"}, referent)
    await api.step(case["id"], "close", {"outcome": "hors_champ"}, team.coordinator)

    response = await api.http.get(f"/cases/{case['id']}/history", headers=referent.headers)

    history = response.json()
    assert [e["seq"] for e in history] == list(range(1, len(history) + 1))
    moments = [datetime.fromisoformat(e["occurred_at"]) for e in history]
    assert moments == sorted(moments)
    actors = [(e["kind"], e["actor_id"], e["actor_role"]) for e in history]
    assert actors == [
        ("case_identified", team.coordinator.id, "coordinateur"),
        ("referent_assigned", None, None),
        ("stage_changed", None, None),
        ("contact_attempt", referent.id, "referent"),
        ("case_closed", team.coordinator.id, "coordinateur"),
        ("stage_changed", None, None),
    ]
    assert history[1]["data"] == {"referent_id": referent.id, "automatic": True}
    assert history[3]["data"] == {"channel": "sms", "result": "joint"}
    assert history[5]["data"] == {"from": "contact", "to": "cloture", "reason": "hors_champ"}


async def test_verify_detects_an_edited_row_and_a_deleted_last_row(api: Api) -> None:
    team = await api.team()
    case = await api.create_case(team)
    case_id, referent = case["id"], referent_of(team, case)
    await api.step(case_id, "contact-attempts", {"channel": "sms", "result": "joint"}, referent)
    url, headers = f"/cases/{case_id}/history/verify", referent.headers

    intact = (await api.http.get(url, headers=headers)).json()
    rows = await audit_rows(api.sessions, case_id)
    original = dict(rows[1].data)
    await _set_data(api.sessions, rows[1].id, original | {"referent_id": "quelqu-un-d-autre"})
    edited = (await api.http.get(url, headers=headers)).json()
    await _set_data(api.sessions, rows[1].id, original)
    restored = (await api.http.get(url, headers=headers)).json()
    async with transaction(api.sessions) as session:
        await session.execute(delete(AuditEvent).where(AuditEvent.id == rows[-1].id))
    truncated = (await api.http.get(url, headers=headers)).json()

    assert intact == {
        "case_id": case_id,
        "ok": True,
        "events_checked": len(rows),
        "first_bad_seq": None,
        "problem": None,
    }
    assert (edited["ok"], edited["first_bad_seq"], edited["problem"]) == (
        False,
        2,
        "contenu modifié",
    )
    assert restored["ok"] is True
    assert truncated["ok"] is False
    assert truncated["first_bad_seq"] == len(rows)
    assert truncated["events_checked"] == len(rows) - 1


async def _set_data(
    sessions: async_sessionmaker[AsyncSession], row_id: int, data: dict[str, Any]
) -> None:
    async with transaction(sessions) as session:
        row = await session.get(AuditEvent, row_id)
        assert row is not None
        row.data = data
