"""Record the Temporal histories of three representative cases for the replay test.

Run `python -m tests.workflows.record_histories` after a deliberate, versioned change of the
case workflow (see docs/workflow-versioning.md). It uses the time-skipping test server, a
throwaway SQLite database and a loopback SMTP sink, and rewrites `histories/*.json`.
Payloads are recorded in clear (synthetic fixtures, reviewable diffs): the replay test then
also proves that histories written before payload encryption still replay.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.testing import WorkflowEnvironment

from filrouge.core.domain import Source
from filrouge.mail.sink import MailSink
from filrouge.store.engine import make_engine, make_sessionmaker
from filrouge.store.migrate import upgrade
from filrouge.temporal.server import DATA_CONVERTER
from tests.workflows.test_case_workflow import (
    CaseRun,
    run_droit_au_retour_missed,
    run_full_pathway,
    run_to_retention,
    run_unreachable_then_reopened,
    start_case,
    worker_for,
)

HISTORIES = Path(__file__).parent / "histories"


async def full_pathway(case: CaseRun) -> None:
    await run_full_pathway(case)
    await run_to_retention(case)


# name -> (start options, scenario)
SCENARIOS: dict[str, tuple[dict[str, Any], Callable[[CaseRun], Awaitable[Any]]]] = {
    "full_pathway": ({}, full_pathway),
    "unreachable_reopened": ({}, run_unreachable_then_reopened),
    "droit_au_retour_escalated": ({"source": Source.DROIT_AU_RETOUR}, run_droit_au_retour_missed),
}


async def record(
    env: WorkflowEnvironment, sessions: async_sessionmaker[AsyncSession], sink: MailSink
) -> list[Path]:
    """Run every scenario on its own task queue and write its history as JSON."""
    HISTORIES.mkdir(exist_ok=True)
    written = []
    for name, (options, scenario) in SCENARIOS.items():
        sink.clear()
        task_queue = f"record-{uuid.uuid4()}"
        async with worker_for(env, sessions, sink, task_queue):
            case = await start_case(env, sessions, sink, task_queue, **options)
            await scenario(case)
            history = await case.handle.fetch_history()
            if name != "full_pathway":  # still open: its later timers must not hold the server
                await case.handle.terminate(reason="recorded")
        path = HISTORIES / f"{name}.json"
        path.write_text(history.to_json() + "\n")
        written.append(path)
    return written


async def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'filrouge.db'}"
        await asyncio.to_thread(upgrade, url)
        engine = make_engine(url)
        env = await WorkflowEnvironment.start_time_skipping(
            test_server_existing_path=str(Path(sys.executable).parent / "temporal-test-server"),
            data_converter=DATA_CONVERTER,
        )
        try:
            with MailSink(directory=Path(tmp) / "mail", port=0) as sink:
                for path in await record(env, make_sessionmaker(engine), sink):
                    print(f"wrote {path}")
        finally:
            await env.shutdown()
            await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main())
