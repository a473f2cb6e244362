"""Replaying POST /cases (same Idempotency-Key) never brings a case back (issue 8, item 4)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
from temporalio.testing import WorkflowEnvironment

from tests.api.conftest import Api, Member, Team
from tests.support.waiting import history_deleted


def body_for(team: Team, **person: Any) -> dict[str, Any]:
    ine = f"{uuid.uuid4().int % 10**10:010d}K"
    young = {"last_name": "Martin", "first_name": "Léa", "birth_date": "2005-02-03", "ine": ine}
    return {"platform_id": team.platform_id, "source": "cio", "person": young | person}


async def post(api: Api, body: dict[str, Any], who: Member, key: str) -> httpx.Response:
    headers = who.headers | {"Idempotency-Key": key}
    return await api.http.post("/cases", json=body, headers=headers)


async def test_a_replay_after_erasure_restarts_nothing_and_writes_nothing(
    api: Api, dev_env: WorkflowEnvironment
) -> None:
    team = await api.team()
    body, key = body_for(team), uuid.uuid4().hex
    created = await post(api, body, team.coordinator, key)
    case_id = created.json()["id"]
    headers = team.coordinator.headers
    erased = await api.http.post(f"/cases/{case_id}/erase", headers=headers)
    assert erased.status_code == 200, erased.text
    await history_deleted(dev_env.client, case_id)
    before = (await api.http.get(f"/cases/{case_id}/history", headers=headers)).json()

    replay = await post(api, body, team.coordinator, key)

    assert replay.status_code == 409, replay.text
    assert "effacé" in replay.json()["message"]
    assert "Martin" not in replay.text and body["person"]["ine"] not in replay.text
    await asyncio.sleep(0.5)  # a workflow started by the replay would be visible by now
    await history_deleted(dev_env.client, case_id)
    after = (await api.http.get(f"/cases/{case_id}/history", headers=headers)).json()
    assert after == before
    assert (await api.case(case_id, team.coordinator))["person"] is None


async def test_the_same_key_with_another_body_is_refused_in_french(api: Api) -> None:
    team = await api.team()
    body, key = body_for(team), uuid.uuid4().hex
    first = await post(api, body, team.coordinator, key)
    other = body | {"person": body["person"] | {"first_name": "Zoé"}}

    refused = await post(api, other, team.coordinator, key)
    same = await post(api, body, team.coordinator, key)

    assert first.status_code == 201, first.text
    assert refused.status_code == 422, refused.text
    assert "clé d'idempotence" in refused.json()["message"]
    assert same.status_code == 200 and same.json()["id"] == first.json()["id"]


async def test_a_replay_answers_the_person_only_to_who_may_read_the_case_now(api: Api) -> None:
    team = await api.team()
    creator = team.ml_referents[0]
    body, key = body_for(team), uuid.uuid4().hex
    created = await post(api, body, creator, key)
    assert created.status_code == 201, created.text
    case_id = created.json()["id"]
    # The coordinator hands the case to the MLDS: the ML référent no longer reads it.
    await api.step(case_id, "assign", {"referent_id": team.mlds_referent.id}, team.coordinator)
    assert (await api.http.get(f"/cases/{case_id}", headers=creator.headers)).status_code == 404

    replay = await post(api, body, creator, key)

    assert replay.status_code == 202, replay.text
    assert "id" not in replay.json() and "person" not in replay.json()
    assert "Martin" not in replay.text


async def test_a_replayed_reidentification_of_an_erased_case_creates_nothing(
    api: Api, dev_env: WorkflowEnvironment
) -> None:
    team = await api.team()
    body = body_for(team)
    first = await post(api, body, team.coordinator, uuid.uuid4().hex)
    key = uuid.uuid4().hex
    again = await post(api, body, team.coordinator, key)
    assert again.json()["status"] == "exists", again.text
    case_id = first.json()["id"]
    erased = await api.http.post(f"/cases/{case_id}/erase", headers=team.coordinator.headers)
    assert erased.status_code == 200, erased.text
    await history_deleted(dev_env.client, case_id)

    replay = await post(api, body, team.coordinator, key)

    assert replay.status_code == 409, replay.text
    listed = await api.http.get("/cases", headers=team.coordinator.headers)
    assert listed.json()["total"] == 1


async def test_the_same_keyed_request_sent_twice_at_once_is_answered_twice(api: Api) -> None:
    team = await api.team()
    body = body_for(team)
    await post(api, body, team.coordinator, uuid.uuid4().hex)  # the young person is followed
    key = uuid.uuid4().hex

    answers = await asyncio.gather(*(post(api, body, team.coordinator, key) for _ in range(2)))

    assert sorted(a.status_code for a in answers) == [200, 200], [a.text for a in answers]
    assert {a.json()["id"] for a in answers} == {answers[0].json()["id"]}
