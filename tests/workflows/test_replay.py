"""Determinism guard: recorded case histories must replay on the current workflow code.

A failure here means a change to `workflows/case.py` (or to the pure rules it runs) would
break cases already running in production: guard it with `workflow.patched(...)`, see
docs/workflow-versioning.md.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from filrouge.temporal.codec import KeyRing
from filrouge.temporal.server import data_converter
from workflows.case import CaseWorkflow

HISTORIES = {
    path.stem: json.loads(path.read_text())
    for path in sorted((Path(__file__).parent / "histories").glob("*.json"))
}


def test_the_representative_histories_are_recorded() -> None:
    assert set(HISTORIES) >= {
        "full_pathway",
        "unreachable_reopened",
        "droit_au_retour_escalated",
    }


@pytest.mark.parametrize("name", sorted(HISTORIES))
async def test_recorded_history_replays_on_the_current_code(name: str) -> None:
    history = WorkflowHistory.from_json(f"recorded-{name}", HISTORIES[name])
    assert len(history.events) > 10
    # The production converter: histories written in clear (before encryption) still replay.
    converter = data_converter(KeyRing.generate("replay"))
    replayer = Replayer(workflows=[CaseWorkflow], data_converter=converter)
    result = await replayer.replay_workflow(history)
    assert result.replay_failure is None
