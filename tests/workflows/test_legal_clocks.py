"""Legal and retention clocks of a case on the time-skipping server (issue 8, items 12-15).

Same scaffolding as `test_case_workflow.py`: real activities, database and SMTP sink; months
pass instantly with `env.sleep`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from filrouge.core.cases.steps import (
    ConfirmEntryInput,
    DecideInput,
    ProposeSolutionsInput,
    RecordContactOutcomeInput,
    RecordFollowUpInput,
    RecordInterviewInput,
    RecordObligationReportInput,
    RecordSummonsInput,
    RectifyBirthDateInput,
    ReidentifyInput,
)
from filrouge.core.domain import (
    ContactOutcome,
    Decision,
    FollowUpStatus,
    Outcome,
    Solution,
    SolutionType,
    Source,
    Stage,
)
from filrouge.core.durations import add_months
from filrouge.mail.mailer import french_date
from tests.workflows.test_case_workflow import (  # noqa: F401 (fixtures)
    MINUTE,
    CaseRun,
    NewCase,
    new_case,
    no_new_mail,
    only,
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
    received = await wait_for_mail(case.sink, 1)  # stuck cases go in the pilots' digest
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


async def dropped_out_after_an_interview(case: CaseRun) -> None:
    """Interview held, solution entered, then a drop-out: back to contacting."""
    ref, coord = case.staff.as_referent, case.staff.as_coordinator
    await case.attempt()
    await case.accepts_interview()
    await case.schedule(await case.now() + timedelta(hours=2))
    await case.step(RecordInterviewInput(ref, held=True))
    solution = Solution(SolutionType.E2C, "E2C Rennes", (await case.now()).date())
    await case.step(ProposeSolutionsInput(ref, [solution]))
    await case.step(DecideInput(coord, Decision.VALIDER))
    await case.step(ConfirmEntryInput(ref, entered=True))
    rupture = RecordFollowUpInput(ref, FollowUpStatus.RUPTURE)
    assert (await case.step(rupture)).stage == Stage.CONTACT


async def test_a_droit_au_retour_request_after_a_drop_out_starts_a_new_15_day_clock(
    new_case: NewCase,  # noqa: F811
) -> None:
    case = await new_case()
    await dropped_out_after_an_interview(case)
    await case.attempt()  # contact resumed (no reminders), then the request a few days later
    await case.jump_to(await case.now() + 5 * DAY)
    sent = len(case.sink.messages)
    requested = await case.now()
    request = ReidentifyInput(case.staff.as_coordinator, Source.DROIT_AU_RETOUR, requested)
    await case.step(request)
    await wait_for_mail(case.sink, sent + 1)  # the référent is told of the request

    await case.jump_to(requested + 15 * DAY - MINUTE)
    await no_new_mail(case.sink, sent + 1)
    await case.jump_to(requested + 15 * DAY + MINUTE)
    legal = only(await wait_for_mail(case.sink, sent + 2), "droit_retour_deadline")
    assert legal.to == sorted(case.staff.coordinators)
    assert f"en formation le {french_date(requested)}." in legal.text
    assert french_date(case.identified_at) != french_date(requested)


async def test_a_summoned_minor_who_refuses_is_still_reported_until_the_report_is_recorded(
    new_case: NewCase,  # noqa: F811
) -> None:
    case = await new_case(age=16)
    ref = case.staff.as_referent
    await case.attempt()
    summons_on = (await case.now()).date()
    await case.step(RecordSummonsInput(ref, summons_on))
    refusal = RecordContactOutcomeInput(ref, ContactOutcome.REFUS)
    closed = await case.step(refusal)
    due = add_months(datetime(summons_on.year, summons_on.month, summons_on.day, 8, tzinfo=UTC), 2)
    assert (closed.stage, closed.next_deadline_kind, closed.next_deadline_at) == (
        Stage.CLOTURE,
        "obligation_report",
        due,
    )

    await case.jump_to(due + MINUTE)
    report = only(await wait_for_mail(case.sink, 1), "obligation_report")
    assert report.to == sorted(case.staff.coordinators)
    assert (await case.handle.query(CaseWorkflow.snapshot)).overdue_since == due

    sent = RecordObligationReportInput(case.staff.as_coordinator, due.date())
    after = await case.step(sent)
    assert after.next_deadline_kind == "retention_due"
    snapshot = await case.handle.query(CaseWorkflow.snapshot)
    assert (snapshot.stage, snapshot.overdue_since) == (Stage.CLOTURE, None)
    recorded = [e for e in await case.audit() if e.kind == "obligation_reported"]
    assert [e.data for e in recorded] == [{"on": due.date().isoformat()}]


async def test_a_rectified_birth_date_moves_the_age_clocks_of_the_running_case(
    new_case: NewCase,  # noqa: F811
) -> None:
    case = await new_case(age=19)
    await case.attempt()
    twenty_sixth = (await case.now()).date() + 20 * DAY
    if (twenty_sixth.month, twenty_sixth.day) == (2, 29):
        twenty_sixth += DAY
    rectified = RectifyBirthDateInput(
        case.staff.as_coordinator, twenty_sixth.replace(year=twenty_sixth.year - 26)
    )
    await case.step(rectified)

    await case.jump_to(datetime.combine(twenty_sixth, datetime.min.time(), UTC) + 9 * DAY)
    received = await wait_for_mail(case.sink, 2)
    assert all("a atteint 26 ans" in m.text for m in received)
    audit = await case.audit()
    event = next(e for e in audit if e.kind == "birth_date_rectified")
    assert event.data == {"fields": ["birth_date"]}
    assert any(e.kind == "timer_fired" and e.data["deadline"] == "age_limit" for e in audit)
