"""`python -m bench.first_task`: the worker's CPU for a new case's first workflow task.

Every new case (a list row, a referral, POST /cases) makes the worker build a fresh
sandboxed instance of the case workflow (the sandbox runs `workflows/case.py` again for each
run) and run its first task. During an import of 20,000 rows that is 18,000 first tasks on
the same 2 cores as the import itself (README, "Intake speed").

This replays the first task of a recorded case history (`tests/workflows/histories/`) many
times with the production data converter, in one process, and prints the CPU per case:
compare two versions of the workflow one after the other, not absolute values.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path

from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from filrouge.temporal.codec import KeyRing
from filrouge.temporal.server import data_converter
from workflows.case import CaseWorkflow

HISTORY = Path(__file__).parent.parent / "tests/workflows/histories/unreachable_reopened.json"
FIRST_TASK_EVENTS = 3  # started, task scheduled, task started


async def _each(histories: list[WorkflowHistory]) -> AsyncIterator[WorkflowHistory]:
    for history in histories:
        yield history


async def first_tasks(count: int) -> float:
    """CPU milliseconds per first task, over `count` replays (after one warm-up)."""
    recorded = json.loads(HISTORY.read_text())
    recorded["events"] = recorded["events"][:FIRST_TASK_EVENTS]
    converter = data_converter(KeyRing.generate("bench"))
    replayer = Replayer(workflows=[CaseWorkflow], data_converter=converter)
    await replayer.replay_workflow(WorkflowHistory.from_json("warm-up", recorded))
    # Parsed before the clock starts: only the worker's side is measured.
    histories = [WorkflowHistory.from_json(f"first-task-{n}", recorded) for n in range(count)]
    started = time.process_time()
    async with replayer.workflow_replay_iterator(_each(histories)) as results:
        async for result in results:
            if result.replay_failure is not None:
                raise result.replay_failure
    return 1000 * (time.process_time() - started) / count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=500)
    args = parser.parse_args()
    ms = asyncio.run(first_tasks(args.cases))
    print(f"first workflow task of a new case: {ms:.1f} ms CPU ({args.cases} cases)")


if __name__ == "__main__":
    main()
