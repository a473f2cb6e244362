"""Record the Temporal histories of representative runs for the replay test.

Run `python -m tests.workflows.record_histories [NAME ...]` after a deliberate, versioned change
of a workflow (see docs/workflow-versioning.md); without names it records every scenario and
rewrites `histories/*.json`. Name the new scenarios only, so that the histories written by older
code stay as they are: they are what proves that running workflows still replay.

Case scenarios run on the time-skipping test server; the import and the purge on a local dev
server (they start and delete other workflows). Both use a throwaway SQLite database and a
loopback SMTP sink. Payloads are recorded in clear (synthetic fixtures, reviewable diffs): the
replay test then also proves that histories written before payload encryption still replay.
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import WorkflowHistory, WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment

from filrouge.core.cases.steps import (
    CloseCaseInput,
    RecordContactOutcomeInput,
    RecordInterviewInput,
    ReidentifyInput,
)
from filrouge.core.domain import ContactOutcome, Outcome, Source
from filrouge.core.retention import PurgeInput
from filrouge.mail.sink import MailSink
from filrouge.store.engine import make_engine, make_sessionmaker, transaction
from filrouge.store.migrate import upgrade
from filrouge.store.models import Case
from filrouge.temporal.server import DATA_CONVERTER, temporal_binary
from tests.workflows.test_case_workflow import (
    DAY,
    CaseRun,
    _next_run,
    run_droit_au_retour_missed,
    run_full_pathway,
    run_to_retention,
    run_unreachable_then_reopened,
    start_case,
    worker_for,
)
from tests.workflows.test_import_workflow import born, csv_list, new_import, run_import, seed
from workflows.case import NOTICES_PATCH, SEARCH_ATTRIBUTES
from workflows.retention import PurgeWorkflow

HISTORIES = Path(__file__).parent / "histories"
Recorded = dict[str, WorkflowHistory]


async def full_pathway(case: CaseRun) -> None:
    await run_full_pathway(case)
    await run_to_retention(case)


async def reidentified_with_notice(case: CaseRun) -> None:
    """A followed young person on a later list: the référent is told (a one-off notice)."""
    await case.attempt()
    again = ReidentifyInput(case.staff.as_coordinator, Source.SIEI, await case.now())
    await case.step(again)
    await case.jump_to(await case.now() + DAY)


async def refused_update(case: CaseRun) -> None:
    """A step not allowed now is refused (409), the pathway goes on, a replay answers again."""
    await case.attempt()
    held = RecordInterviewInput(case.staff.as_referent, held=True)
    try:
        await case.step(held)
    except WorkflowUpdateFailedError:
        pass
    else:
        raise AssertionError("an interview before it was accepted must be refused")
    await case.accepts_interview()
    key = f"{case.case_id}-step-{case.steps}"  # the same request again: the same answer
    accepted = RecordContactOutcomeInput(case.staff.as_referent, ContactOutcome.ACCEPTE_ENTRETIEN)
    await case.step(accepted, key=key)


# name -> (start options, scenario)
SCENARIOS: dict[str, tuple[dict[str, Any], Callable[[CaseRun], Awaitable[Any]]]] = {
    "full_pathway": ({}, full_pathway),
    "unreachable_reopened": ({}, run_unreachable_then_reopened),
    "droit_au_retour_escalated": ({"source": Source.DROIT_AU_RETOUR}, run_droit_au_retour_missed),
    "reidentified_with_notice": ({}, reidentified_with_notice),
    "refused_update": ({}, refused_update),
}


async def record_cases(
    env: WorkflowEnvironment,
    sessions: async_sessionmaker[AsyncSession],
    sink: MailSink,
    names: list[str],
) -> Recorded:
    """Run each case scenario on its own task queue; its history by name."""
    recorded: Recorded = {}
    for name in names:
        options, scenario = SCENARIOS[name]
        sink.clear()
        task_queue = f"record-{uuid.uuid4()}"
        async with worker_for(env, sessions, sink, task_queue):
            case = await start_case(env, sessions, sink, task_queue, **options)
            await scenario(case)
            recorded[name] = await case.handle.fetch_history()
            if name != "full_pathway":  # still open: its later timers must not hold the server
                await case.handle.terminate(reason="recorded")
    notice = recorded.get("reidentified_with_notice")
    if notice is not None and NOTICES_PATCH not in patches_in(notice):
        raise AssertionError("the notice scenario must run with the notices patch")
    return recorded


def patches_in(history: WorkflowHistory) -> set[str]:
    """The `workflow.patched` ids a history's markers record (`{"id": ..., "deprecated": ...}`)."""
    found = set()
    for event in history.events:
        if event.HasField("marker_recorded_event_attributes"):
            for payloads in event.marker_recorded_event_attributes.details.values():
                for payload in payloads.payloads:
                    data = json.loads(payload.data)
                    if isinstance(data, dict) and "id" in data:
                        found.add(str(data["id"]))
    return found


async def record_continue_as_new(
    env: WorkflowEnvironment, sessions: async_sessionmaker[AsyncSession], sink: MailSink
) -> Recorded:
    """A case that continues as new: the run that ends so, and the run that carries on."""
    task_queue = f"record-{uuid.uuid4()}"
    async with worker_for(env, sessions, sink, task_queue):
        case = await start_case(env, sessions, sink, task_queue, continue_as_new_after_events=1)
        first = (await case.handle.describe()).run_id
        await case.attempt()
        await case.accepts_interview()
        second = await _next_run(case, first)
        await case.schedule(await case.now() + 3 * DAY)
        ended = await env.client.get_workflow_handle(case.handle.id, run_id=first).fetch_history()
        carried = await env.client.get_workflow_handle(
            case.handle.id, run_id=second
        ).fetch_history()
        await case.handle.terminate(reason="recorded")
    last = ended.events[-1]
    if not last.HasField("workflow_execution_continued_as_new_event_attributes"):
        raise AssertionError("the first run must end by continuing as new")
    return {"continued_as_new": ended, "continued_as_new_next_run": carried}


async def record_import_and_purge(
    env: WorkflowEnvironment, sessions: async_sessionmaker[AsyncSession], sink: MailSink
) -> Recorded:
    """A list of three rows (one rejected) imported; then the purge erasing a closed case."""
    task_queue = f"record-{uuid.uuid4()}"
    ps = await seed(sessions)
    (commune, _), code = ps.communes, ps.postal_code
    content = csv_list(
        f"1234567890A;Martin;Léa;{born(17)};;{commune};",
        f"1234567891B;Durand;Hugo;{born(20)};{code};;",
        f";Petit;Zoé;31/02/2006;35000;{commune};",
    )
    import_id = await new_import(sessions, ps, content)
    async with worker_for(env, sessions, sink, task_queue):
        handle = await run_import(env, import_id, task_queue, batch_size=1)
        await handle.result()
        imported = await handle.fetch_history()
        case = await start_case(env, sessions, sink, task_queue)
        close = CloseCaseInput(case.staff.as_coordinator, Outcome.AUTRE, "déménagement")
        await case.step(close)
        async with transaction(sessions) as session:
            long_ago = case.identified_at - timedelta(days=3 * 365)
            await session.execute(
                update(Case).where(Case.id == case.case_id).values(closed_at=long_ago)
            )
        purge = await env.client.start_workflow(
            PurgeWorkflow.run, PurgeInput(), id=f"purge-{uuid.uuid4()}", task_queue=task_queue
        )
        if case.case_id not in (await purge.result()).erased:
            raise AssertionError("the purge must erase the closed case")
        purged = await purge.fetch_history()
    return {"import_list": imported, "purge_erased": purged}


async def record(names: list[str]) -> list[Path]:
    """Record the named histories (all when none) and write each as JSON."""
    cases = [n for n in SCENARIOS if not names or n in names]
    others = [n for n in ("continued_as_new", "import_and_purge") if not names or n in names]
    recorded: Recorded = {}
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'filrouge.db'}"
        await asyncio.to_thread(upgrade, url)
        engine = make_engine(url)
        sessions = make_sessionmaker(engine)
        try:
            with MailSink(directory=Path(tmp) / "mail", port=0) as sink:
                if cases or "continued_as_new" in others:
                    env = await WorkflowEnvironment.start_time_skipping(
                        test_server_existing_path=str(
                            Path(sys.executable).parent / "temporal-test-server"
                        ),
                        data_converter=DATA_CONVERTER,
                    )
                    try:
                        recorded |= await record_cases(env, sessions, sink, cases)
                        if "continued_as_new" in others:
                            recorded |= await record_continue_as_new(env, sessions, sink)
                    finally:
                        await env.shutdown()
                if "import_and_purge" in others:
                    env = await WorkflowEnvironment.start_local(
                        dev_server_existing_path=temporal_binary(),
                        search_attributes=SEARCH_ATTRIBUTES,
                        data_converter=DATA_CONVERTER,
                    )
                    try:
                        recorded |= await record_import_and_purge(env, sessions, sink)
                    finally:
                        await env.shutdown()
        finally:
            await engine.dispose()
    HISTORIES.mkdir(exist_ok=True)
    written = []
    for name, history in recorded.items():
        path = HISTORIES / f"{name}.json"
        path.write_text(history.to_json() + "\n")
        written.append(path)
    return written


if __name__ == "__main__":
    for path in asyncio.run(record(sys.argv[1:])):
        print(f"wrote {path}")
