"""When the case workflow wakes: capped waits, birthday deadlines without a timer of their own."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from filrouge.core.cases.pathway import (
    CaseState,
    DeadlineKind,
    Rule,
    StepRejected,
    fire_deadline,
    next_deadline,
    overdue_since,
)
from filrouge.core.cases.registry import check_step
from filrouge.core.cases.steps import (
    CloseCaseInput,
    RecordObligationReportInput,
    RecordSummonsInput,
    RectifyBirthDateInput,
    ReidentifyInput,
)
from filrouge.core.cases.timers import MAX_WAIT, is_birthday, next_wake
from filrouge.core.cases.transitions import fire
from filrouge.core.domain import AttemptResult, Outcome, Recipient, Source, Stage, TimerPolicy
from filrouge.core.durations import add_months
from tests.filrouge.core.cases.test_pathway import (
    COORD,
    MINOR_BIRTH,
    REFERENT,
    assigned,
    attempt,
)

DAY = timedelta(days=1)


def walk(
    case_state: CaseState, start: datetime, until: datetime
) -> list[tuple[datetime, datetime]]:
    """Run the wake rule as the workflow does; the (start, end) of every timer it sets."""
    now, timers = start, []
    while now < until:
        wake = next_wake(case_state, now)
        if wake is None:
            break
        if wake.deadline is not None and wake.at <= now:
            fire_deadline(case_state, wake.deadline, now)
            continue
        assert wake.at - now <= MAX_WAIT or wake.deadline is not None
        timers.append((now, wake.at))
        now = wake.at
    return timers


def test_a_birthday_is_recognised_every_year_and_29_february_on_28_february() -> None:
    assert is_birthday(date(2026, 1, 10), MINOR_BIRTH)
    assert not is_birthday(date(2026, 1, 11), MINOR_BIRTH)
    assert is_birthday(date(2025, 2, 28), date(2008, 2, 29))
    assert is_birthday(date(2028, 2, 29), date(2008, 2, 29))
    assert not is_birthday(date(2028, 2, 28), date(2008, 2, 29))


def test_no_timer_ends_on_a_birthday_and_the_eighteenth_fires_within_a_week() -> None:
    case = assigned(birth_date=MINOR_BIRTH)  # 18 on 2026-01-10
    eighteen = datetime(2026, 1, 10, 8, tzinfo=UTC)
    timers = walk(case.state, case.now, datetime(2026, 3, 1, tzinfo=UTC))

    assert all(not is_birthday(end.date(), MINOR_BIRTH) for _, end in timers)
    assert all(end - start <= MAX_WAIT for start, end in timers)
    fired = next(k for k in case.state.fired if k.startswith("obligation_ends@"))
    assert fired == f"obligation_ends@{eighteen.isoformat()}"
    wakes = [end for _, end in timers]
    woke = min(w for w in wakes if w > eighteen)
    assert woke - eighteen <= MAX_WAIT


def test_deadlines_not_derived_from_a_birthday_still_fire_on_time() -> None:
    case = assigned(birth_date=MINOR_BIRTH)
    escalation = case.state.stage_entered_at + 30 * DAY  # type: ignore[operator]
    timers = walk(case.state, case.now, escalation + DAY)
    assert escalation in [end for _, end in timers]


def test_a_deadline_on_a_birthday_fires_the_day_after() -> None:
    case = assigned(birth_date=MINOR_BIRTH)
    case.at(datetime(2026, 1, 9, 8, tzinfo=UTC)).do(CloseCaseInput(COORD, Outcome.REFUS))
    retention = next_deadline(case.state)
    assert retention is not None and retention.kind == DeadlineKind.RETENTION_DUE
    assert retention.at.date() == date(2028, 1, 9)  # not a birthday: exact, in one timer
    wake = next_wake(case.state, case.now)
    assert wake is not None and wake.at == retention.at

    case.at(datetime(2026, 1, 10, 8, tzinfo=UTC))
    case.state.closed_at = case.now  # closed on the birthday: due on a birthday two years on
    wake = next_wake(case.state, case.now)
    assert wake is not None and wake.at == datetime(2028, 1, 11, 8, tzinfo=UTC)


def test_a_closed_case_waits_for_its_retention_in_one_timer() -> None:
    case = assigned(birth_date=MINOR_BIRTH)
    case.later(days=1).do(CloseCaseInput(COORD, Outcome.REFUS))
    timers = walk(case.state, case.now, case.now + 800 * DAY)
    assert len(timers) == 1


# ---------------------------------------------------------------- inactive cases close


def fire_due(state: CaseState, now: datetime) -> list[str]:
    """Fire every deadline due by `now`, as the workflow would; their kinds in order."""
    fired = []
    while (due := next_deadline(state)) is not None and due.at <= now:
        events = fire(state, due, now)
        fired.append(due.kind.value)
        assert events
    return fired


def test_an_open_case_without_activity_is_warned_then_closes_sans_suite() -> None:
    case = assigned()
    case.later(days=1).do(attempt(AttemptResult.JOINT))
    last = case.now
    warning = case.deadline(DeadlineKind.INACTIVITY_WARNING)
    closure = case.deadline(DeadlineKind.INACTIVITY_CLOSURE)
    assert closure.at == datetime(2026, 3, 4, 9, tzinfo=UTC) == add_months(last, 12)
    assert warning.at == add_months(last, 11)
    assert warning.recipients == (Recipient.COORDINATEUR,)

    fire_due(case.state, closure.at)
    assert (case.state.stage, case.state.outcome) == (Stage.CLOTURE, Outcome.SANS_SUITE)
    assert case.state.closed_at == closure.at
    retention = case.deadline(DeadlineKind.RETENTION_DUE)
    assert retention.at == add_months(closure.at, 24)  # closing starts the retention clock


def test_an_unreachable_case_closes_injoignable_and_events_say_why() -> None:
    case = assigned(policy=TimerPolicy(inactivity_closure="P6M"))
    for _ in range(3):
        case.later(days=3).do(attempt())
    assert case.state.stage == Stage.INJOIGNABLE
    closure = case.deadline(DeadlineKind.INACTIVITY_CLOSURE)
    fire_due(case.state, closure.at - DAY)
    events = fire(case.state, closure, closure.at)
    assert [e.kind for e in events] == ["timer_fired", "stage_changed"]
    assert events[1].data == {"from": "injoignable", "to": "cloture", "reason": "inactivity"}
    assert case.state.outcome == Outcome.INJOIGNABLE


def test_a_human_step_or_a_new_identification_puts_the_closure_back() -> None:
    case = assigned()
    first = case.deadline(DeadlineKind.INACTIVITY_CLOSURE).at
    case.later(days=200).do(ReidentifyInput(COORD, Source.SIEI, case.now))
    assert case.deadline(DeadlineKind.INACTIVITY_CLOSURE).at == add_months(case.now, 12) > first


def test_a_short_policy_warns_half_way_and_runs_started_before_the_rule_never_close() -> None:
    case = assigned(policy=TimerPolicy(inactivity_closure="PT2M"))
    since = case.now
    assert case.deadline(DeadlineKind.INACTIVITY_WARNING).at == since + timedelta(minutes=1)
    case.state.rules.remove(Rule.INACTIVITY_CLOSURE)
    assert DeadlineKind.INACTIVITY_CLOSURE not in case.kinds()


# ---------------------------------------------------------------- droit au retour, again


def test_a_new_droit_au_retour_request_after_an_interview_runs_15_days_from_it() -> None:
    case = assigned()
    case.state.interview_held = True  # interviewed, then back at contacting after a drop-out
    assert DeadlineKind.DROIT_RETOUR_DEADLINE not in case.kinds()
    requested = case.later(days=40).now
    case.do(ReidentifyInput(COORD, Source.DROIT_AU_RETOUR, requested))
    legal = case.deadline(DeadlineKind.DROIT_RETOUR_DEADLINE)
    assert (legal.at, legal.since) == (requested + 15 * DAY, requested)


# ---------------------------------------------------------------- obligation de formation


def test_a_minors_report_stays_due_after_a_refusal_and_the_recorded_report_ends_it() -> None:
    case = assigned(birth_date=MINOR_BIRTH)
    case.do(RecordSummonsInput(REFERENT, date(2025, 3, 5)))
    with pytest.raises(StepRejected, match="Aucune convocation"):
        check_step(assigned().state, RecordObligationReportInput(COORD, date(2025, 5, 6)))
    case.later(days=1).do(CloseCaseInput(COORD, Outcome.REFUS))
    report = case.deadline(DeadlineKind.OBLIGATION_REPORT)
    assert report.at == datetime(2025, 5, 5, 8, tzinfo=UTC)
    fire_deadline(case.state, report, report.at)
    assert overdue_since(case.state) == report.at

    case.at(report.at + DAY).do(RecordObligationReportInput(COORD, date(2025, 5, 6)))
    assert DeadlineKind.OBLIGATION_REPORT not in case.kinds()
    assert overdue_since(case.state) is None
    with pytest.raises(StepRejected, match="déjà enregistré"):
        case.do(RecordObligationReportInput(COORD, date(2025, 5, 7)))


def test_no_report_after_closure_in_a_solution_or_for_runs_before_the_rule() -> None:
    case = assigned(birth_date=MINOR_BIRTH)
    case.do(RecordSummonsInput(REFERENT, date(2025, 3, 5)))
    case.later(days=1).do(CloseCaseInput(COORD, Outcome.DEJA_EN_SOLUTION))
    assert DeadlineKind.OBLIGATION_REPORT not in case.kinds()
    case.state.outcome = Outcome.REFUS
    case.state.rules.remove(Rule.OBLIGATION_REPORT_AFTER_CLOSURE)
    assert DeadlineKind.OBLIGATION_REPORT not in case.kinds()


# ---------------------------------------------------------------- rectified birth date


def test_a_rectified_birth_date_moves_the_age_clocks_and_is_audited_without_the_date() -> None:
    case = assigned()  # 19: no obligation de formation
    events = case.do(RectifyBirthDateInput(COORD, MINOR_BIRTH))
    assert [(e.kind, e.data) for e in events] == [
        ("birth_date_rectified", {"fields": ["birth_date"]})
    ]
    ends = case.deadline(DeadlineKind.OBLIGATION_ENDS)
    assert ends.at == datetime(2026, 1, 10, 8, tzinfo=UTC)
    assert case.deadline(DeadlineKind.AGE_LIMIT).at == datetime(2034, 1, 10, 8, tzinfo=UTC)
