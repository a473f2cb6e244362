"""Nothing personal reaches Temporal in clear.

Cases are created and moved through the HTTP API on the real dev server, with free text that
names the young person; a small workflow also fails with personal data in its failure
messages and memo. Histories, failures, memos and search attributes are then read raw from
the server, with a client that has no codec: none of the identity may appear. With the
application's codec, everything decodes again. Timer durations are not encrypted: no timer
may end on a birthday of the young person (a case lives past its 18th birthday on the
time-skipping server).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity, workflow
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import Client, WorkflowFailureError, WorkflowHandle
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer, UnsandboxedWorkflowRunner, Worker

from filrouge.mail.sink import MailSink
from filrouge.store.audit_repository import AuditRepository
from filrouge.store.engine import transaction
from filrouge.temporal.codec import ENCODING
from tests.api.conftest import Api, running_api
from tests.support.pathway import walk
from tests.support.waiting import eventually
from tests.workflows.test_case_workflow import CaseRun, running_worker, start_case
from workflows.case import CaseWorkflow

BIRTH = date.today().replace(year=date.today().year - 17, day=14)
PERSON = {
    "last_name": "Quintard-Vasseur",
    "first_name": "Zélie",
    "birth_date": BIRTH.isoformat(),
    "ine": "070845123KX",
    "address": "17 impasse des Tilleuls",
    "postal_code": "31400",
    "phone": "06 47 21 39 58",
    "email": "zelie.quintard@exemple.fr",
    "guardian_name": "Marc Quintard-Vasseur",
    "guardian_phone": "0698765432",
    "convocation_consent": True,
}
NEEDLES = [
    "Quintard",
    "Zélie",
    "Zelie",
    "070845123KX",
    "impasse des Tilleuls",
    "0647213958",
    "06 47 21 39 58",
    "zelie.quintard@exemple.fr",
    "0698765432",
    BIRTH.isoformat(),
    BIRTH.strftime("%d/%m/%Y"),
]
FULL_NAME = f"{PERSON['first_name']} {PERSON['last_name']}"


def assert_nothing_personal(raw: bytes, where: str) -> None:
    for needle in NEEDLES:
        assert needle.encode() not in raw, f"{needle!r} found in clear in {where}"


def plain_client(env: WorkflowEnvironment) -> Client:
    """The same server and namespace, without the application's codec."""
    return Client(env.client.service_client, namespace=env.client.namespace)


def timer_ends(events: Iterable[HistoryEvent]) -> list[datetime]:
    """When each timer started in a history ends (its start time plus its clear duration)."""
    return [
        event.event_time.ToDatetime(tzinfo=UTC)
        + event.timer_started_event_attributes.start_to_fire_timeout.ToTimedelta()
        for event in events
        if event.HasField("timer_started_event_attributes")
    ]


def assert_no_timer_ends_on_a_birthday(events: Iterable[HistoryEvent], birth: date) -> None:
    for end in timer_ends(events):
        assert (end.month, end.day) != (birth.month, birth.day), f"a timer ends on {end}"


async def raw_history(client: Client, workflow_id: str) -> bytes:
    history = await client.get_workflow_handle(workflow_id).fetch_history()
    return b"".join(event.SerializeToString() for event in history.events)


@pytest.fixture(scope="module")
async def api(
    dev_env: WorkflowEnvironment,
    database_url: str,
    sessions: async_sessionmaker[AsyncSession],
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[Api]:
    with MailSink(directory=tmp_path_factory.mktemp("mail"), port=0) as sink:
        async with running_api(dev_env, database_url, sessions, sink.port) as api:
            async with api.new_worker():
                yield api


async def a_case_moved_by_hand(api: Api, ine: str = str(PERSON["ine"])) -> tuple[str, str]:
    """A case through contact and interview, with free text naming the young person.

    Returns the case id and its platform id. POST /cases deduplicates by INE and routes by
    postal code: each call needs its own INE, and no code another test platform claims.
    """
    team = await api.team(policy={"interview_reminder_before": "PT58S"})
    person = {k: v for k, v in PERSON.items() if k != "postal_code"} | {"ine": ine}
    body = {"platform_id": team.platform_id, "source": "siei", "person": person}
    created = await api.http.post("/cases", json=body, headers=team.coordinator.headers)
    assert created.status_code == 201, created.text
    case = created.json()
    case_id, referent = case["id"], team.member(case["referent_id"])
    interview = {
        "at": (datetime.now(UTC) + timedelta(minutes=1)).isoformat(),
        "place": f"Domicile de {FULL_NAME}, {PERSON['address']}",
    }
    await walk(api, team, case, through="interview", bodies={"interview": interview})
    # Steps refused in this stage: their free text must not reach Temporal either.
    decision = {"decision": "valider", "comment": f"{FULL_NAME} {PERSON['phone']}"}
    await api.step(case_id, "decision", decision, team.coordinator, expect=409)
    reopen = {"reason": f"{FULL_NAME} rappelle au {PERSON['phone']}"}
    await api.step(case_id, "reopen", reopen, referent, expect=409)
    return case_id, team.platform_id


async def reminders_sent(api: Api, case_id: str) -> bool:
    """True once the interview reminder fired and both its mails (référent, young person) went."""
    async with transaction(api.sessions) as session:
        kinds = [e.kind for e in await AuditRepository(session).history(case_id)]
    return "timer_fired" in kinds and kinds[kinds.index("timer_fired") :].count("email_sent") >= 2


@activity.defn(name="notify_young_person")
async def refused_notification(email: str) -> None:
    raise ApplicationError(f"adresse refusée : {email}", non_retryable=True)


@workflow.defn(name="FailingWithPersonalData", sandboxed=False)
class FailingWithPersonalData:
    """Puts personal data in every place the SDK writes: input, memo, failures."""

    @workflow.run
    async def run(self, person: dict[str, Any]) -> None:
        workflow.upsert_memo({"suivi": f"{person['first_name']} {person['last_name']}"})
        try:
            await workflow.execute_activity(
                refused_notification,
                person["email"],
                start_to_close_timeout=timedelta(seconds=10),
                retry_policy=RetryPolicy(maximum_attempts=1),
            )
        except ActivityError:
            pass
        raise ApplicationError(f"{person['first_name']} {person['last_name']} injoignable")


async def a_failed_workflow(env: WorkflowEnvironment) -> WorkflowHandle[Any, Any]:
    task_queue = f"leak-{uuid.uuid4().hex[:8]}"
    worker = Worker(
        env.client,
        task_queue=task_queue,
        workflows=[FailingWithPersonalData],
        activities=[refused_notification],
        workflow_runner=UnsandboxedWorkflowRunner(),
    )
    async with worker:
        handle = await env.client.start_workflow(
            FailingWithPersonalData.run,
            PERSON,
            id=f"leak-{uuid.uuid4().hex}",
            task_queue=task_queue,
            memo={"jeune": FULL_NAME},
        )
        with pytest.raises(WorkflowFailureError) as failed:
            await handle.result()
    assert FULL_NAME in str(failed.value.cause)  # the application itself still reads it
    return handle


async def test_case_histories_and_search_attributes_hold_no_identity_in_clear(
    api: Api, dev_env: WorkflowEnvironment
) -> None:
    case_id, platform_id = await a_case_moved_by_hand(api)
    workflow_id = f"case-{case_id}"
    # The interview reminder and convocation (58 s before the interview) fall due and go out.
    await eventually(lambda: reminders_sent(api, case_id))
    plain = plain_client(dev_env)

    history = await raw_history(plain, workflow_id)
    description = await plain.get_workflow_handle(workflow_id).describe()
    listed = [w async for w in plain.list_workflows(f"FilrougePlatform = '{platform_id}'")]

    assert ENCODING in history  # payloads are there, encrypted
    assert_nothing_personal(history, "the case history")
    events = (await plain.get_workflow_handle(workflow_id).fetch_history()).events
    assert_no_timer_ends_on_a_birthday(events, BIRTH)
    assert_nothing_personal(description.raw_description.SerializeToString(), "the description")
    for info in listed:
        assert_nothing_personal(info.raw_info.SerializeToString(), "the visibility listing")
    assert workflow_id.startswith("case-c") and FULL_NAME not in workflow_id


async def test_the_application_codec_decodes_and_replays_the_case_history(
    api: Api, dev_env: WorkflowEnvironment
) -> None:
    case_id, _ = await a_case_moved_by_hand(api, ine="070845124KX")
    handle = dev_env.client.get_workflow_handle(f"case-{case_id}")

    history = await handle.fetch_history()
    replayer = Replayer(workflows=[CaseWorkflow], data_converter=dev_env.client.data_converter)

    assert (await replayer.replay_workflow(history)).replay_failure is None


async def test_failure_messages_memos_and_inputs_are_encrypted(
    dev_env: WorkflowEnvironment,
) -> None:
    handle = await a_failed_workflow(dev_env)
    plain = plain_client(dev_env)

    history = await plain.get_workflow_handle(handle.id).fetch_history()
    raw = b"".join(event.SerializeToString() for event in history.events)
    raw_description = (await plain.get_workflow_handle(handle.id).describe()).raw_description
    failed = history.events[-1].workflow_execution_failed_event_attributes.failure
    activity_failed = next(
        e.activity_task_failed_event_attributes.failure
        for e in history.events
        if e.HasField("activity_task_failed_event_attributes")
    )

    assert_nothing_personal(raw, "the failed workflow's history")
    assert_nothing_personal(raw_description.SerializeToString(), "the memo")
    assert failed.message == activity_failed.message == "Encoded failure"
    assert not failed.stack_trace and not activity_failed.stack_trace
    assert await (await handle.describe()).memo() == {"jeune": FULL_NAME, "suivi": FULL_NAME}


async def test_no_timer_ends_on_a_birthday_even_past_the_eighteenth(
    time_skipping_env: WorkflowEnvironment,
    sessions: async_sessionmaker[AsyncSession],
    mail_sink: MailSink,
) -> None:
    env, task_queue = time_skipping_env, f"cases-{uuid.uuid4()}"
    eighteenth = (await env.get_current_time()).date() + timedelta(days=20)
    if (eighteenth.month, eighteenth.day) == (2, 29):
        eighteenth += timedelta(days=1)
    birth = eighteenth.replace(year=eighteenth.year - 18)
    async with running_worker(env, sessions, mail_sink, task_queue):
        case = await start_case(env, sessions, mail_sink, task_queue, birth_date=birth)
        await case.attempt()  # reached: no reminders, the case waits in contacting
        await case.jump_to(datetime.combine(eighteenth, time(8), UTC) + timedelta(days=10))
        fired = await fired_deadline(case, "obligation_ends")
        history = await plain_client(env).get_workflow_handle(case.handle.id).fetch_history()

    assert fired.data["due_at"] == datetime.combine(eighteenth, time(8), UTC).isoformat()
    assert fired.occurred_at.date() != eighteenth  # woken by a capped wait, not a birthday timer
    assert len(timer_ends(history.events)) >= 3
    assert_no_timer_ends_on_a_birthday(history.events, birth)


async def fired_deadline(case: CaseRun, kind: str, within: float = 60.0) -> Any:
    """The audit row of a deadline firing, once the worker has recorded it."""

    async def fired() -> list[Any]:
        return [t for t in await case.timers() if t.data["deadline"] == kind]

    found = await eventually(fired, within=within, every=0.1)
    assert len(found) == 1
    return found[0]
