"""Retention: cases closed longer than the retention period are erased, counts survive."""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update
from temporalio.client import (
    Client,
    ScheduleActionExecution,
    ScheduleActionExecutionStartWorkflow,
    ScheduleActionStartWorkflow,
)
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.retention import RetentionActivities
from filrouge.core.clock import utcnow
from filrouge.core.retention import (
    PURGE_SCHEDULE_ID,
    ErasePersonalDataInput,
    FindExpiredCasesInput,
    PurgeInput,
    PurgeResult,
)
from filrouge.services.retention.erasure import erase_case
from filrouge.settings import SmtpSettings
from filrouge.store.engine import transaction
from filrouge.store.models import Case, CaseIdentity, DuplicateReview, Import
from startup.schedules import ensure_purge_schedule
from startup.worker import build_worker
from tests.api.conftest import Api, Member, Team
from tests.support.imports import finished
from tests.support.pathway import walk
from tests.support.territory import Territory
from tests.support.waiting import eventually, history_deleted
from workflows.retention import PurgeWorkflow

MOTIVE = "Léa Martin a déménagé chez sa tante"


async def closed_case(api: Api, team: Team, months_ago: int) -> dict[str, Any]:
    """A case closed with a free-text motive and a note, `months_ago` months back."""
    case = await api.create_case(team)
    body = {"outcome": "autre", "reason": MOTIVE}
    await api.step(case["id"], "close", body, team.coordinator)
    await api.http.post(
        f"/cases/{case['id']}/notes", json={"text": "Note Martin"}, headers=team.coordinator.headers
    )
    async with transaction(api.sessions) as session:
        closed_at = utcnow() - timedelta(days=31 * months_ago)
        await session.execute(update(Case).where(Case.id == case["id"]).values(closed_at=closed_at))
    return case


async def figures(api: Api, pilot: Member, platform_id: str) -> dict[str, Any]:
    response = await api.http.get(f"/indicators?platform_id={platform_id}", headers=pilot.headers)
    assert response.status_code == 200
    return response.json()["platforms"][0]  # type: ignore[no-any-return]


async def test_a_case_past_retention_is_erased_once_and_counts_survive(
    api: Api, dev_env: WorkflowEnvironment
) -> None:
    team = await api.team()
    old, recent = await closed_case(api, team, 25), await closed_case(api, team, 1)
    pilot = await api.user("pilote", None)
    before = await figures(api, pilot, team.platform_id)
    activities = RetentionActivities(api.sessions, dev_env.client)

    expired = await activities.find_expired_cases(FindExpiredCasesInput(now=utcnow()))
    first = await activities.erase_personal_data(ErasePersonalDataInput(old["id"]))
    again = await activities.erase_personal_data(ErasePersonalDataInput(old["id"]))

    assert old["id"] in expired.case_ids and recent["id"] not in expired.case_ids
    assert first.erased and not again.erased
    await history_deleted(dev_env.client, old["id"])
    read = await api.case(old["id"], team.coordinator)
    assert read["person"] is None
    notes = await api.http.get(f"/cases/{old['id']}/notes", headers=team.coordinator.headers)
    assert notes.json() == []
    history = await api.http.get(f"/cases/{old['id']}/history", headers=team.coordinator.headers)
    kinds = [e["kind"] for e in history.json()]
    assert kinds.count("personal_data_erased") == 1
    assert "Martin" not in history.text and "tante" not in history.text
    verified = await api.http.get(
        f"/cases/{old['id']}/history/verify", headers=team.coordinator.headers
    )
    assert verified.json()["ok"] is True
    assert await figures(api, pilot, team.platform_id) == before
    assert (await api.case(recent["id"], team.coordinator))["person"]["last_name"] == "Martin"
    async with transaction(api.sessions) as session:
        left = await session.scalar(select(CaseIdentity).where(CaseIdentity.case_id == old["id"]))
    assert left is None


async def test_the_purge_workflow_erases_the_expired_cases(
    api: Api, dev_env: WorkflowEnvironment
) -> None:
    team = await api.team()
    old, recent = await closed_case(api, team, 30), await closed_case(api, team, 2)
    result = await purge(api, dev_env)

    assert old["id"] in result.erased and recent["id"] not in result.erased
    assert (await api.case(old["id"], team.coordinator))["person"] is None
    assert (await api.case(recent["id"], team.coordinator))["person"] is not None


async def test_the_daily_schedule_is_created_idempotently(dev_env: WorkflowEnvironment) -> None:
    await ensure_purge_schedule(dev_env.client, "queue-a")
    await ensure_purge_schedule(dev_env.client, "queue-b")
    handle = dev_env.client.get_schedule_handle(PURGE_SCHEDULE_ID)
    try:
        described = await handle.describe()
        action = described.schedule.action
        assert isinstance(action, ScheduleActionStartWorkflow)
        assert action.workflow == "PurgeWorkflow"
        assert action.task_queue == "queue-b"
        assert described.schedule.spec.calendars[0].hour[0].start == 2
    finally:
        await handle.delete()


async def walked_case(api: Api, team: Team, postal_code: str) -> str:
    """A case taken through the whole pathway with free texts at every step, merged with a
    possible duplicate, then closed long ago."""
    case = await api.create_case(team)
    case_id, referent, coordinator = case["id"], team.member(case["referent_id"]), team.coordinator
    person = {"last_name": "Martin", "first_name": "Léa", "birth_date": "2004-05-12"}
    referral = {"source": "cio", "person": person | {"postal_code": postal_code}}
    await api.http.post("/referrals", json=referral, headers=coordinator.headers)
    reviews = (await api.http.get("/duplicates", headers=coordinator.headers)).json()
    review_id = next(r["id"] for r in reviews if case_id in r["candidate_case_ids"])
    merged = await api.http.post(
        f"/duplicates/{review_id}/merge", json={"case_id": case_id}, headers=coordinator.headers
    )
    assert merged.status_code == 200, merged.text
    start = utcnow().date().isoformat()
    at = (utcnow() + timedelta(days=2)).replace(microsecond=0).isoformat()
    solution = {"type": "e2c", "structure": "E2C Toulouse", "start_date": start}
    failed = {"channel": "telephone", "result": "pas_de_reponse"}
    texts: dict[str, Any] = {
        "contact-attempts": [failed, {"channel": "sms", "result": "joint"}],
        "interview": {"at": at, "place": "Chez Léa Martin, 3 rue des Lilas"},
        "proposals": {"solutions": [solution]},
        "decision": {"decision": "valider", "comment": "Léa Martin motivée"},
        "entry": {"entered": True, "on": start},
    }
    await walk(api, team, case, through="entry", bodies=texts)
    await api.step(case_id, "follow-ups", {"status": "maintenu"}, referent)
    await api.step(case_id, "close", {"outcome": "autre", "reason": MOTIVE}, coordinator)
    async with transaction(api.sessions) as session:
        closed_at = utcnow() - timedelta(days=31 * 26)
        await session.execute(update(Case).where(Case.id == case_id).values(closed_at=closed_at))
    return review_id


async def uploaded(api: Api, team: Team, months_ago: int) -> str:
    """An uploaded list (one rejected row naming a young person), started `months_ago`."""
    csv = (
        f"Nom;Prénom;Date de naissance;Code postal\r\nMartin;Léa {months_ago};31/02/2004;31000\r\n"
    )
    files = {"file": ("liste.csv", csv.encode(), "text/csv")}
    response = await api.http.post("/imports", files=files, headers=team.coordinator.headers)
    assert response.status_code == 202, response.text
    import_id = str(response.json()["id"])
    await finished(api, team.coordinator, import_id)  # before moving it back in time
    async with transaction(api.sessions) as session:
        started = utcnow() - timedelta(days=31 * months_ago)
        await session.execute(
            update(Import).where(Import.id == import_id).values(created_at=started)
        )
    return import_id


async def all_indicators(api: Api, pilot: Member) -> dict[str, Any]:
    response = await api.http.get("/indicators", headers=pilot.headers)
    assert response.status_code == 200
    return {k: v for k, v in response.json().items() if k != "generated_at"}


async def test_the_purge_keeps_every_indicator_and_leaves_no_name_behind(
    api: Api, dev_env: WorkflowEnvironment, territory: Territory
) -> None:
    # Referrals are routed by territory: a postal code no other test's platform claims.
    team = await api.team(territory=territory.claim())
    review_id = await walked_case(api, team, territory.postal_code)
    unreachable = await closed_case(api, team, 27)
    moved = await api.create_case(team)
    step = {"outcome": "demenage", "new_commune": "Albi, chez sa tante"}
    await api.step(moved["id"], "contact-outcome", step, team.member(moved["referent_id"]))
    old_list, recent_list = await uploaded(api, team, 25), await uploaded(api, team, 1)
    pilot = await api.user("pilote", None)
    before = await all_indicators(api, pilot)
    result = await purge(api, dev_env)

    assert unreachable["id"] in result.erased and moved["id"] not in result.erased
    assert await all_indicators(api, pilot) == before
    async with transaction(api.sessions) as session:
        review = await session.get(DuplicateReview, review_id)
        assert review is not None and review.identity == {}
        walked = review.resolved_case_id
    assert walked in result.erased
    await history_deleted(dev_env.client, walked)
    headers = team.coordinator.headers
    history = await api.http.get(f"/cases/{walked}/history", headers=headers)
    for text in ("Martin", "Lilas", "tante", "motivée"):
        assert text not in history.text, text
    erasure = history.json()[-1]
    assert erasure["kind"] == "personal_data_erased"
    assert erasure["data"]["motive"] == "retention" and erasure["data"]["reviews"] == 1
    verified = await api.http.get(f"/cases/{walked}/history/verify", headers=headers)
    assert verified.json()["ok"] is True
    kept = await api.case(moved["id"], team.coordinator)
    assert kept["person"]["last_name"] == "Martin"
    assert old_list in result.import_files and recent_list not in result.import_files
    gone = await api.http.get(f"/imports/{old_list}/rejected.csv", headers=headers)
    assert gone.status_code == 409
    assert gone.json()["message"].startswith("La liste importée a été effacée")
    still = await api.http.get(f"/imports/{recent_list}/rejected.csv", headers=headers)
    assert still.status_code == 200 and "Martin" in still.text
    counts = await api.http.get(f"/imports/{old_list}", headers=headers)
    assert counts.json()["rows_read"] == 1


async def purge(api: Api, dev_env: WorkflowEnvironment) -> PurgeResult:
    """One run of the purge workflow on a worker of its own."""
    task_queue = f"purge-{uuid.uuid4().hex[:8]}"
    activities = RetentionActivities(api.sessions, dev_env.client)
    async with Worker(
        dev_env.client,
        task_queue=task_queue,
        workflows=[PurgeWorkflow],
        activities=[
            activities.find_expired_cases,
            activities.erase_personal_data,
            activities.purge_import_files,
            activities.expire_duplicate_reviews,
        ],
    ):
        return await dev_env.client.execute_workflow(
            PurgeWorkflow.run, PurgeInput(), id=f"purge-{uuid.uuid4().hex}", task_queue=task_queue
        )


async def open_review(api: Api, team: Team, postal_code: str, months_ago: int) -> str:
    """A possible duplicate of a known young person that nobody decides on, `months_ago`."""
    young = {"last_name": "Martin", "first_name": "Léa", "birth_date": "2004-05-12"}
    young |= {"postal_code": postal_code, "phone": "0611223344"}
    referral = {"source": "association", "person": young}
    response = await api.http.post("/referrals", json=referral, headers=team.partner.headers)
    assert response.status_code == 201 and response.json()["status"] == "duplicate_review"
    async with transaction(api.sessions) as session:
        review = await session.scalar(
            select(DuplicateReview)
            .where(DuplicateReview.platform_id == team.platform_id)
            .order_by(DuplicateReview.created_at.desc())
        )
        assert review is not None and review.status == "open"
        review.created_at = utcnow() - timedelta(days=31 * months_ago)
        return review.id


async def test_a_possible_duplicate_nobody_decides_on_expires_with_the_retention_period(
    api: Api, dev_env: WorkflowEnvironment, caplog: pytest.LogCaptureFixture
) -> None:
    # Each platform claims its own postal code, so the referrals stay with it.
    own, patients = api.territories.territory(), api.territories.territory()
    team = await api.team(territory=own.claim())
    patient = await api.team({"retention": "P36M"}, patients.claim())
    known = await api.create_case(team)
    await api.create_case(patient)
    old = await open_review(api, team, own.postal_code, 25)
    recent = await open_review(api, team, own.postal_code, 1)
    kept_longer = await open_review(api, patient, patients.postal_code, 25)
    pilot = await api.user("pilote", None)
    before = await all_indicators(api, pilot)

    with caplog.at_level(logging.INFO):
        result = await purge(api, dev_env)
    again = await purge(api, dev_env)

    assert old in result.expired_reviews
    assert recent not in result.expired_reviews and kept_longer not in result.expired_reviews
    assert old not in again.expired_reviews  # erased once
    async with transaction(api.sessions) as session:
        expired = await session.get(DuplicateReview, old)
        assert expired is not None
        assert (expired.status, expired.identity) == ("expired", {})
        assert expired.resolved_at is not None and expired.resolved_by is None
        assert expired.candidate_case_ids == [known["id"]]  # the trace names nobody
    headers = team.coordinator.headers
    listed = (await api.http.get("/duplicates", headers=headers)).json()
    assert [r["id"] for r in listed] == [recent]
    assert listed[0]["person"]["last_name"] == "Martin"
    patient_list = await api.http.get("/duplicates", headers=patient.coordinator.headers)
    assert [r["id"] for r in patient_list.json()] == [kept_longer]
    apart = await api.http.post(f"/duplicates/{old}/keep-apart", headers=headers)
    merge = await api.http.post(
        f"/duplicates/{old}/merge", json={"case_id": known["id"]}, headers=headers
    )
    for response in (apart, merge):
        assert response.status_code == 409, response.text
        assert "a expiré" in response.json()["message"]
        assert "Martin" not in response.text and "0611" not in response.text
    assert (await api.case(known["id"], team.coordinator))["person"]["last_name"] == "Martin"
    assert await all_indicators(api, pilot) == before
    logged = [r.getMessage() for r in caplog.records if "possible duplicate" in r.getMessage()]
    assert any(team.platform_id in line for line in logged), logged
    assert not any("Martin" in line or "0611" in line for line in logged)


async def test_the_scheduled_purge_runs_on_the_application_worker(
    api: Api, dev_env: WorkflowEnvironment
) -> None:
    """The schedule `make run` and `filrouge worker` create starts a purge that the worker
    they build completes: every purge activity is registered."""
    team = await api.team()
    old = await closed_case(api, team, 25)
    task_queue = f"app-{uuid.uuid4().hex[:8]}"
    smtp = SmtpSettings(host="127.0.0.1", port=1)
    await ensure_purge_schedule(dev_env.client, task_queue)
    handle = dev_env.client.get_schedule_handle(PURGE_SCHEDULE_ID)
    try:
        async with build_worker(dev_env.client, task_queue, api.sessions, smtp, "http://test"):
            await handle.trigger()

            async def started_action() -> ScheduleActionExecution | None:
                recent = (await handle.describe()).info.recent_actions
                return recent[-1].action if recent else None

            started = await eventually(started_action, within=60, every=0.1)
            assert isinstance(started, ScheduleActionExecutionStartWorkflow)
            run = dev_env.client.get_workflow_handle(
                started.workflow_id,
                run_id=started.first_execution_run_id,
                result_type=PurgeResult,
            )
            result = await asyncio.wait_for(run.result(), timeout=60)
    finally:
        await handle.delete()

    assert old["id"] in result.erased
    assert (await api.case(old["id"], team.coordinator))["person"] is None


async def test_a_history_not_deleted_at_the_erasure_is_deleted_by_the_next_purge(
    api: Api, dev_env: WorkflowEnvironment
) -> None:
    """Temporal failing the deletion at an erasure on request (here: a client on a namespace
    the server does not know, so every call is refused): the database part is done, the
    answer says the history is not deleted, and the purge of the following nights deletes
    it."""
    team = await api.team()
    case = await closed_case(api, team, months_ago=0)
    unreachable = Client(dev_env.client.service_client, namespace=f"absent-{uuid.uuid4().hex}")
    on_request = ErasePersonalDataInput(case["id"], "request", team.coordinator.id, "coordinateur")

    done = await erase_case(api.sessions, unreachable, on_request, history_may_wait=True)

    assert done.erased and not done.history_deleted
    assert (await api.case(case["id"], team.coordinator))["person"] is None
    await dev_env.client.get_workflow_handle(f"case-{case['id']}").describe()  # still there
    result = await purge(api, dev_env)
    assert case["id"] not in result.erased  # erased once, before
    await history_deleted(dev_env.client, case["id"])
