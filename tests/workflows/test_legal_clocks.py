"""Legal and retention clocks of a case on the time-skipping server (issue 8, items 12-15).

Same scaffolding as `test_case_workflow.py`: real activities, database and SMTP sink; months
pass instantly with `env.sleep`.
"""

from __future__ import annotations

from datetime import timedelta

from filrouge.core.domain import Outcome, Stage
from filrouge.core.durations import add_months
from tests.workflows.test_case_workflow import (  # noqa: F401 (fixtures)
    MINUTE,
    NewCase,
    new_case,
    only,
    started,
    task_queue,
    wait_for_mail,
    worker,
)
from workflows.case import CaseWorkflow

DAY = timedelta(days=1)


async def test_an_open_case_left_alone_a_year_is_warned_then_closed_sans_suite(
    new_case: NewCase,  # noqa: F811
) -> None:
    case = await new_case()
    await case.attempt()  # reached, then nothing more for a year
    last = next(e for e in await case.audit() if e.kind == "contact_attempt").occurred_at
    closes = add_months(last, 12)

    await case.jump_to(add_months(closes, -1) + MINUTE)
    received = await wait_for_mail(case.sink, 2)  # the stuck escalation, then the warning
    warning = only(received, "inactivity_warning")
    assert warning.to == sorted(case.staff.coordinators)
    assert "clôturé automatiquement le" in warning.text and "« sans suite »" in warning.text
    assert (await case.handle.query(CaseWorkflow.snapshot)).stage == Stage.CONTACT

    await case.jump_to(closes + MINUTE)
    closed = await case.handle.query(CaseWorkflow.snapshot)
    assert (closed.stage, closed.outcome) == (Stage.CLOTURE, Outcome.SANS_SUITE)
    assert closed.closed_at is not None and abs(closed.closed_at - closes) < timedelta(seconds=2)
    assert (closed.next_deadline_kind, closed.next_deadline_at) == (
        "retention_due",
        add_months(closed.closed_at, 24),  # closing started the retention clock
    )
    changes = [e.data for e in await case.audit() if e.kind == "stage_changed"]
    assert changes[-1] == {"from": "contact", "to": "cloture", "reason": "inactivity"}
    assert await case.verify_chain()
