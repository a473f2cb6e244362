"""Determinism guard: recorded histories must replay on the current workflow code.

A failure here means a change to `workflows/` (or to the pure rules they run) would break
workflows already running in production: guard it with `workflow.patched(...)`, see
docs/workflow-versioning.md. The histories are recorded by `tests/workflows/record_histories.py`;
those written by older code are kept as they are.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from filrouge.temporal.codec import KeyRing
from filrouge.temporal.server import data_converter
from tests.workflows.record_histories import patches_in
from workflows.case import NOTICES_PATCH, CaseWorkflow
from workflows.digest import PilotDigestWorkflow
from workflows.intake import ImportWorkflow
from workflows.retention import PurgeWorkflow

WORKFLOWS = [CaseWorkflow, ImportWorkflow, PurgeWorkflow, PilotDigestWorkflow]

HISTORIES = {
    path.stem: json.loads(path.read_text())
    for path in sorted((Path(__file__).parent / "histories").glob("*.json"))
}


def test_the_representative_histories_are_recorded() -> None:
    assert set(HISTORIES) >= {
        "full_pathway",  # these three were written before the patches of the case workflow
        "unreachable_reopened",
        "droit_au_retour_escalated",
        "reidentified_with_notice",
        "refused_update",
        "continued_as_new",
        "continued_as_new_next_run",
        "import_list",
        "purge_erased",
    }


def history(name: str) -> WorkflowHistory:
    return WorkflowHistory.from_json(f"recorded-{name}", HISTORIES[name])


def test_the_histories_hold_what_they_are_recorded_for() -> None:
    assert NOTICES_PATCH in patches_in(history("reidentified_with_notice"))
    assert not patches_in(history("full_pathway"))  # before any patch: the old branches
    ended = history("continued_as_new").events[-1]
    assert ended.HasField("workflow_execution_continued_as_new_event_attributes")
    carried = history("continued_as_new_next_run").events[0]
    assert carried.workflow_execution_started_event_attributes.continued_execution_run_id
    # The refused step (validator) left no event; the three accepted ones did (ready, the
    # attempt, the interview accepted), the replayed request none.
    accepted = [
        e
        for e in history("refused_update").events
        if e.HasField("workflow_execution_update_accepted_event_attributes")
    ]
    assert len(accepted) == 3
    types = {
        name: history(name).events[0].workflow_execution_started_event_attributes.workflow_type.name
        for name in ("import_list", "purge_erased")
    }
    assert types == {"import_list": "ImportWorkflow", "purge_erased": "PurgeWorkflow"}


@pytest.mark.parametrize("name", sorted(HISTORIES))
async def test_recorded_history_replays_on_the_current_code(name: str) -> None:
    recorded = history(name)
    assert len(recorded.events) > 10
    # The production converter: histories written in clear (before encryption) still replay.
    converter = data_converter(KeyRing.generate("replay"))
    replayer = Replayer(workflows=WORKFLOWS, data_converter=converter)
    result = await replayer.replay_workflow(recorded)
    assert result.replay_failure is None
