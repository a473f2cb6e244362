"""Pure rules of the pathway: deadlines (DOMAIN.md 'Timers'), step effects, French rejections."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from filrouge.core.cases.pathway import (
    BIRTHDAY_DEADLINES,
    CaseState,
    Deadline,
    DeadlineKind,
    Rule,
    StepRejected,
    deadlines,
    escalated_since,
    mark_fired,
    next_deadline,
    overdue_since,
)
from filrouge.core.cases.registry import apply_step, check_step
from filrouge.core.cases.steps import (
    AssignReferentInput,
    CloseCaseInput,
    ConfirmEntryInput,
    DecideInput,
    ProposeSolutionsInput,
    RecordContactAttemptInput,
    RecordContactOutcomeInput,
    RecordFollowUpInput,
    RecordInterviewInput,
    RecordSummonsInput,
    ReidentifyInput,
    ReopenCaseInput,
    ScheduleInterviewInput,
    Step,
)
from filrouge.core.domain import (
    Actor,
    AttemptResult,
    Channel,
    ContactOutcome,
    Decision,
    FollowUpStatus,
    Outcome,
    Recipient,
    Role,
    Solution,
    SolutionType,
    Source,
    Stage,
    StartCaseInput,
    TimerPolicy,
)
from filrouge.core.durations import add_months, age_on, birthday, parse_duration

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
REFERENT = Actor("u-ref", Role.REFERENT)
COORD = Actor("u-coord", Role.COORDINATEUR)
ADULT_BIRTH = date(2005, 6, 15)  # 19 at T0
MINOR_BIRTH = date(2008, 1, 10)  # 17 at T0, 18 on 2026-01-10


def new_case(
    *,
    source: Source = Source.SIEI,
    birth_date: date = ADULT_BIRTH,
    convocation_allowed: bool = False,
    policy: TimerPolicy | None = None,
) -> CaseState:
    return CaseState.new(
        StartCaseInput(
            case_id="c-1",
            platform_id="p-1",
            source=source,
            identified_at=T0,
            birth_date=birth_date,
            leaving_date=date(2024, 7, 1),
            actor=COORD,
            policy=policy or TimerPolicy(),
            convocation_allowed=convocation_allowed,
        )
    )


class Case:
    """A state plus a clock: apply steps as a user would, at chosen moments."""

    def __init__(self, state: CaseState, now: datetime = T0) -> None:
        self.state, self.now, self.n = state, now, 0

    def at(self, moment: datetime) -> Case:
        self.now = moment
        return self

    def later(self, **delta: float) -> Case:
        self.now += timedelta(**delta)
        return self

    def do(self, step: Step) -> list[Any]:
        self.n += 1
        return apply_step(self.state, step, self.now, f"k{self.n}")

    def deadline(self, kind: DeadlineKind) -> Deadline:
        found = [d for d in deadlines(self.state) if d.kind == kind]
        assert len(found) == 1, f"{kind} expected once in {deadlines(self.state)}"
        return found[0]

    def kinds(self) -> set[DeadlineKind]:
        return {d.kind for d in deadlines(self.state)}


def assigned(**kwargs: Any) -> Case:
    case = Case(new_case(**kwargs))
    case.do(AssignReferentInput(COORD, "u-ref", "s-ml"))
    return case


def attempt(result: AttemptResult = AttemptResult.PAS_DE_REPONSE) -> RecordContactAttemptInput:
    return RecordContactAttemptInput(REFERENT, Channel.TELEPHONE, result)


def accepts() -> RecordContactOutcomeInput:
    return RecordContactOutcomeInput(REFERENT, ContactOutcome.ACCEPTE_ENTRETIEN)


SOLUTION = Solution(SolutionType.APPRENTISSAGE, "CFA du bâtiment", date(2025, 4, 1))


def in_bilan(**kwargs: Any) -> Case:
    case = assigned(**kwargs)
    case.later(days=1).do(attempt(AttemptResult.JOINT))
    case.do(accepts())
    return case


def in_decision(solution: Solution = SOLUTION) -> Case:
    case = in_bilan()
    case.do(ScheduleInterviewInput(REFERENT, T0 + timedelta(days=5)))
    case.later(days=4).do(RecordInterviewInput(REFERENT, held=True))
    case.do(ProposeSolutionsInput(REFERENT, [solution]))
    return case


def in_suivi(entered_on: date = date(2025, 4, 1)) -> Case:
    case = in_decision()
    case.later(days=1).do(DecideInput(COORD, Decision.VALIDER))
    case.at(datetime(2025, 4, 2, 10, tzinfo=UTC)).do(ConfirmEntryInput(REFERENT, True, entered_on))
    return case


# ---------------------------------------------------------------- durations


@pytest.mark.parametrize(
    ("text", "months", "span"),
    [
        ("P5D", 0, timedelta(days=5)),
        ("PT30S", 0, timedelta(seconds=30)),
        ("P1M", 1, timedelta()),
        ("P1Y2M", 14, timedelta()),
        ("P2W", 0, timedelta(weeks=2)),
        ("P1DT2H3M", 0, timedelta(days=1, hours=2, minutes=3)),
        ("p24m", 24, timedelta()),
    ],
)
def test_parse_duration(text: str, months: int, span: timedelta) -> None:
    parsed = parse_duration(text)
    assert (parsed.months, parsed.span) == (months, span)


@pytest.mark.parametrize("text", ["", "P", "5D", "PT", "P1.5D", "P-1D", "demain"])
def test_invalid_duration_is_refused_in_french(text: str) -> None:
    with pytest.raises(ValueError, match="durée ISO 8601 invalide"):
        parse_duration(text)


def test_months_are_calendar_months_clamped_to_month_end() -> None:
    jan31 = datetime(2025, 1, 31, 8, tzinfo=UTC)
    assert add_months(jan31, 1) == datetime(2025, 2, 28, 8, tzinfo=UTC)
    assert add_months(datetime(2024, 1, 31, tzinfo=UTC), 1) == datetime(2024, 2, 29, tzinfo=UTC)
    assert add_months(jan31, 12) == datetime(2026, 1, 31, 8, tzinfo=UTC)
    assert add_months(datetime(2025, 3, 31, tzinfo=UTC), -1) == datetime(2025, 2, 28, tzinfo=UTC)
    assert parse_duration("P1D").before(jan31) == datetime(2025, 1, 30, 8, tzinfo=UTC)


def test_birthdays_and_ages() -> None:
    assert birthday(date(2008, 2, 29), 18) == date(2026, 2, 28)
    assert age_on(date(2008, 1, 10), date(2026, 1, 9)) == 17
    assert age_on(date(2008, 1, 10), date(2026, 1, 10)) == 18


def test_policy_validation_speaks_french() -> None:
    assert TimerPolicy().validate() == TimerPolicy()
    with pytest.raises(ValueError, match="durée ISO 8601 invalide"):
        TimerPolicy(reminder_no_contact="5 jours").validate()
    with pytest.raises(ValueError, match="entier entre 1 et 20"):
        TimerPolicy(max_failed_attempts=0).validate()
    with pytest.raises(ValueError, match="au moins une échéance"):
        TimerPolicy(follow_up_checks=()).validate()
    faults = TimerPolicy(max_failed_attempts=0, retention="deux ans").problems()
    assert set(faults) == {"max_failed_attempts", "retention"}, "every faulty field, by name"
    policy = TimerPolicy.from_dict({"follow_up_checks": ["P2M"], "unknown": 1})
    assert policy.follow_up_checks == ("P2M",)


# ---------------------------------------------------------------- deadlines


def test_unassigned_case_escalates_routing_to_coordinators() -> None:
    case = Case(new_case())
    routing = case.deadline(DeadlineKind.ROUTING_ESCALATION)
    assert (routing.at, routing.recipients) == (T0 + timedelta(days=2), (Recipient.COORDINATEUR,))


def test_no_contact_reminder_then_escalation_until_a_first_attempt() -> None:
    case = assigned()
    reminder = case.deadline(DeadlineKind.NO_CONTACT_REMINDER)
    escalation = case.deadline(DeadlineKind.NO_CONTACT_ESCALATION)
    assert (reminder.at, reminder.recipients) == (T0 + timedelta(days=5), (Recipient.REFERENT,))
    assert (escalation.at, escalation.recipients) == (
        T0 + timedelta(days=10),
        (Recipient.COORDINATEUR,),
    )
    assert next_deadline(case.state) == reminder

    case.later(days=3).do(attempt())
    assert DeadlineKind.NO_CONTACT_REMINDER not in case.kinds()
    assert DeadlineKind.NO_CONTACT_ESCALATION not in case.kinds()


def test_a_fired_reminder_keeps_the_case_overdue_until_the_referent_acts() -> None:
    case = assigned()
    assert overdue_since(case.state) is None
    reminder = case.deadline(DeadlineKind.NO_CONTACT_REMINDER)
    mark_fired(case.state, reminder)
    assert overdue_since(case.state) == reminder.at
    case.later(days=6).do(attempt())
    assert overdue_since(case.state) is None


def test_only_a_pending_escalation_to_the_coordinators_counts_as_escalated() -> None:
    case = assigned()
    mark_fired(case.state, case.deadline(DeadlineKind.NO_CONTACT_REMINDER))
    mark_fired(case.state, case.deadline(DeadlineKind.AGE_LIMIT))  # informs, asks nothing
    assert escalated_since(case.state) is None, "a reminder to the référent is not escalated"
    escalation = case.deadline(DeadlineKind.NO_CONTACT_ESCALATION)
    mark_fired(case.state, escalation)
    assert escalated_since(case.state) == escalation.at
    case.later(days=11).do(attempt())
    assert escalated_since(case.state) is None, "the référent acted: nothing is pending"


def test_birthday_deadlines_can_be_left_out_of_the_next_deadline() -> None:
    case = assigned()
    for kind in (DeadlineKind.NO_CONTACT_REMINDER, DeadlineKind.NO_CONTACT_ESCALATION):
        mark_fired(case.state, case.deadline(kind))
    mark_fired(case.state, case.deadline(DeadlineKind.STUCK_ESCALATION))
    assert next_deadline(case.state) is not None
    shown = next_deadline(case.state, exclude=BIRTHDAY_DEADLINES)
    assert shown is None or shown.kind not in BIRTHDAY_DEADLINES
    assert {d.kind for d in deadlines(case.state)} >= {DeadlineKind.AGE_LIMIT}


def test_informative_deadlines_never_make_a_case_overdue() -> None:
    case = assigned()
    notice = case.deadline(DeadlineKind.AGE_LIMIT)
    mark_fired(case.state, notice)
    assert overdue_since(case.state) is None


def test_case_stuck_thirty_days_in_a_stage_escalates_into_the_pilots_digest() -> None:
    case = assigned()
    stuck = case.deadline(DeadlineKind.STUCK_ESCALATION)
    # It fires (recorded, counted in the regional pilots' daily digest) but mails nobody.
    assert (stuck.at, stuck.recipients) == (T0 + timedelta(days=30), ())
    # A run started before the digest still mails the pilots of its Région itself.
    case.state.rules.remove(Rule.PILOT_DIGEST.value)
    assert case.deadline(DeadlineKind.STUCK_ESCALATION).recipients == (Recipient.PILOTE,)
    case.state.rules.append(Rule.PILOT_DIGEST.value)

    case.later(days=20).do(attempt(AttemptResult.JOINT))
    case.do(accepts())  # a new stage restarts the 30 days
    assert case.deadline(DeadlineKind.STUCK_ESCALATION).at == case.now + timedelta(days=30)


def test_waiting_for_a_future_start_date_is_not_being_stuck() -> None:
    case = in_decision(Solution(SolutionType.APPRENTISSAGE, "CFA", date(2025, 9, 1)))
    case.do(DecideInput(COORD, Decision.VALIDER))
    stuck = case.deadline(DeadlineKind.STUCK_ESCALATION)
    assert stuck.at == datetime(2025, 10, 1, 8, tzinfo=UTC)


def test_follow_up_is_stuck_only_thirty_days_after_an_unrecorded_check() -> None:
    case = in_suivi(entered_on=date(2025, 4, 1))
    stuck = case.deadline(DeadlineKind.STUCK_ESCALATION)
    assert stuck.at == datetime(2025, 5, 31, 8, tzinfo=UTC)
    case.at(datetime(2025, 5, 2, tzinfo=UTC)).do(
        RecordFollowUpInput(REFERENT, FollowUpStatus.MAINTENU)
    )
    assert case.deadline(DeadlineKind.STUCK_ESCALATION).at == datetime(2025, 7, 31, 8, tzinfo=UTC)


def test_interview_reminder_the_day_before_goes_to_the_referent_only_without_consent() -> None:
    case = in_bilan()
    interview = datetime(2025, 3, 12, 14, 30, tzinfo=UTC)
    case.do(ScheduleInterviewInput(REFERENT, interview))
    reminder = case.deadline(DeadlineKind.INTERVIEW_REMINDER)
    assert reminder.at == datetime(2025, 3, 11, 14, 30, tzinfo=UTC)
    assert reminder.recipients == (Recipient.REFERENT,)


def test_the_reminder_before_an_interview_makes_nobody_late() -> None:
    case = in_bilan()
    case.do(ScheduleInterviewInput(REFERENT, datetime(2025, 3, 12, 14, 30, tzinfo=UTC)))
    mark_fired(case.state, case.deadline(DeadlineKind.INTERVIEW_REMINDER))
    assert overdue_since(case.state) is None
    assert escalated_since(case.state) is None
    unrecorded = case.deadline(DeadlineKind.INTERVIEW_UNRECORDED_REMINDER)
    mark_fired(case.state, unrecorded)  # the interview is past and not recorded: late
    assert overdue_since(case.state) == unrecorded.at


def test_interview_reminder_convokes_the_young_person_when_allowed() -> None:
    case = in_bilan(convocation_allowed=True)
    interview = datetime(2025, 3, 12, 14, 30, tzinfo=UTC)
    case.do(ScheduleInterviewInput(REFERENT, interview))
    reminder = case.deadline(DeadlineKind.INTERVIEW_REMINDER)
    assert reminder.recipients == (Recipient.REFERENT, Recipient.JEUNE)


def test_unrecorded_interview_gives_a_reminder_then_an_escalation() -> None:
    case = in_bilan()
    assert DeadlineKind.INTERVIEW_REMINDER not in case.kinds()  # nothing scheduled yet
    interview = datetime(2025, 3, 12, 14, 30, tzinfo=UTC)
    case.do(ScheduleInterviewInput(REFERENT, interview))
    reminder = case.deadline(DeadlineKind.INTERVIEW_UNRECORDED_REMINDER)
    escalation = case.deadline(DeadlineKind.INTERVIEW_UNRECORDED_ESCALATION)
    assert (reminder.at, reminder.recipients) == (
        interview + timedelta(days=2),
        (Recipient.REFERENT,),
    )
    assert (escalation.at, escalation.recipients) == (
        interview + timedelta(days=4),
        (Recipient.COORDINATEUR,),
    )
    case.at(interview + timedelta(days=1)).do(RecordInterviewInput(REFERENT, held=True))
    interview_kinds = {
        DeadlineKind.INTERVIEW_REMINDER,
        DeadlineKind.INTERVIEW_UNRECORDED_REMINDER,
        DeadlineKind.INTERVIEW_UNRECORDED_ESCALATION,
    }
    assert case.kinds().isdisjoint(interview_kinds)


def test_droit_au_retour_legal_deadline_is_fifteen_days_after_the_request() -> None:
    case = assigned(source=Source.DROIT_AU_RETOUR)
    legal = case.deadline(DeadlineKind.DROIT_RETOUR_DEADLINE)
    assert (legal.at, legal.recipients) == (T0 + timedelta(days=15), (Recipient.COORDINATEUR,))

    case.later(days=1).do(attempt(AttemptResult.JOINT))
    case.do(accepts())
    case.do(ScheduleInterviewInput(REFERENT, T0 + timedelta(days=10)))
    assert case.deadline(DeadlineKind.DROIT_RETOUR_DEADLINE).at == T0 + timedelta(days=15)
    case.at(T0 + timedelta(days=10)).do(RecordInterviewInput(REFERENT, held=True))
    assert DeadlineKind.DROIT_RETOUR_DEADLINE not in case.kinds()


def test_droit_au_retour_requested_later_starts_its_own_deadline() -> None:
    case = assigned()
    assert DeadlineKind.DROIT_RETOUR_DEADLINE not in case.kinds()
    request = T0 + timedelta(days=3)
    case.at(request).do(ReidentifyInput(COORD, Source.DROIT_AU_RETOUR, request))
    assert case.deadline(DeadlineKind.DROIT_RETOUR_DEADLINE).at == request + timedelta(days=15)


def test_droit_au_retour_honoured_does_not_come_back_after_a_rupture() -> None:
    case = in_bilan(source=Source.DROIT_AU_RETOUR)
    case.do(ScheduleInterviewInput(REFERENT, T0 + timedelta(days=5)))
    case.at(T0 + timedelta(days=5)).do(RecordInterviewInput(REFERENT, held=True))
    case.do(ProposeSolutionsInput(REFERENT, [SOLUTION]))
    case.do(DecideInput(COORD, Decision.VALIDER))
    case.at(datetime(2025, 4, 2, tzinfo=UTC)).do(ConfirmEntryInput(REFERENT, True))
    case.later(days=20).do(RecordFollowUpInput(REFERENT, FollowUpStatus.RUPTURE))
    case.later(days=1).do(attempt(AttemptResult.JOINT))
    case.do(accepts())
    assert DeadlineKind.DROIT_RETOUR_DEADLINE not in case.kinds()


def test_proposal_waiting_seven_days_for_a_decision_escalates() -> None:
    case = in_decision()
    escalation = case.deadline(DeadlineKind.DECISION_ESCALATION)
    assert (escalation.at, escalation.recipients) == (
        case.now + timedelta(days=7),
        (Recipient.COORDINATEUR,),
    )
    case.do(DecideInput(COORD, Decision.COMMISSION))  # on the platform meeting's agenda
    assert DeadlineKind.DECISION_ESCALATION not in case.kinds()
    assert case.state.stage == Stage.DECISION


def test_unconfirmed_entry_reminds_the_referent_seven_days_after_the_start_date() -> None:
    case = in_decision()
    case.later(days=1).do(DecideInput(COORD, Decision.VALIDER))
    reminder = case.deadline(DeadlineKind.ENTRY_UNCONFIRMED_REMINDER)
    assert reminder.at == datetime(2025, 4, 8, 8, 0, tzinfo=UTC)
    assert reminder.recipients == (Recipient.REFERENT,)


def test_follow_up_checks_at_one_three_and_six_calendar_months() -> None:
    case = in_suivi(entered_on=date(2025, 1, 31))
    dues = []
    for _ in range(3):
        due = case.deadline(DeadlineKind.FOLLOW_UP_DUE)
        assert due.recipients == (Recipient.REFERENT,)
        dues.append(due.at)
        case.at(due.at).do(RecordFollowUpInput(REFERENT, FollowUpStatus.MAINTENU))
    assert dues == [
        datetime(2025, 2, 28, 8, 0, tzinfo=UTC),
        datetime(2025, 4, 30, 8, 0, tzinfo=UTC),
        datetime(2025, 7, 31, 8, 0, tzinfo=UTC),
    ]


def test_last_follow_up_closes_the_case_maintained_in_solution() -> None:
    case = in_suivi()
    for months in (1, 3, 6):
        case.at(datetime(2025, 4 + months, 1, 9, tzinfo=UTC))
        events = case.do(RecordFollowUpInput(REFERENT, FollowUpStatus.MAINTENU))
    assert case.state.stage == Stage.CLOTURE
    assert case.state.outcome == Outcome.MAINTENU == "maintenu_en_solution"
    assert case.state.closed_at == case.now
    assert [e.kind for e in events] == ["follow_up", "stage_changed"]
    assert events[1].data["reason"] == "last_follow_up_maintained"


def test_obligation_report_two_months_after_a_minors_summons() -> None:
    case = assigned(birth_date=MINOR_BIRTH)
    case.do(RecordSummonsInput(REFERENT, date(2025, 3, 5)))
    report = case.deadline(DeadlineKind.OBLIGATION_REPORT)
    assert report.at == datetime(2025, 5, 5, 8, 0, tzinfo=UTC)
    assert report.recipients == (Recipient.COORDINATEUR,)


def test_no_obligation_report_once_the_young_person_turns_eighteen() -> None:
    case = assigned(birth_date=date(2007, 4, 20))  # 18 on 2025-04-20
    case.do(RecordSummonsInput(REFERENT, date(2025, 3, 5)))  # report would be 2025-05-05
    assert DeadlineKind.OBLIGATION_REPORT not in case.kinds()
    assert case.deadline(DeadlineKind.OBLIGATION_ENDS).at == datetime(2025, 4, 20, 8, tzinfo=UTC)


def test_summons_is_only_for_minors() -> None:
    case = assigned()
    with pytest.raises(StepRejected, match="ne concerne que les mineurs"):
        case.do(RecordSummonsInput(REFERENT, date(2025, 3, 5)))


def test_age_limit_at_twenty_six_and_no_obligation_end_for_adults() -> None:
    case = assigned()
    limit = case.deadline(DeadlineKind.AGE_LIMIT)
    assert limit.at == datetime(2031, 6, 15, 8, tzinfo=UTC)
    assert limit.recipients == (Recipient.REFERENT, Recipient.COORDINATEUR)
    assert DeadlineKind.OBLIGATION_ENDS not in case.kinds()


def test_personal_data_retention_after_closure() -> None:
    case = assigned()
    case.later(days=2).do(CloseCaseInput(COORD, Outcome.HORS_CHAMP))
    retention = case.deadline(DeadlineKind.RETENTION_DUE)
    assert retention.at == datetime(2027, 3, 5, 9, 0, tzinfo=UTC)
    assert retention.recipients == ()
    assert case.kinds() == {DeadlineKind.RETENTION_DUE}


def test_fired_deadlines_are_not_due_again_and_stale_firings_are_forgotten() -> None:
    case = assigned()
    reminder = next_deadline(case.state)
    assert reminder is not None and reminder.kind == DeadlineKind.NO_CONTACT_REMINDER
    mark_fired(case.state, reminder)
    following = next_deadline(case.state)
    assert following is not None and following.kind == DeadlineKind.NO_CONTACT_ESCALATION
    case.later(days=6).do(attempt())
    mark_fired(case.state, case.deadline(DeadlineKind.STUCK_ESCALATION))
    assert reminder.key not in case.state.fired


def test_deadline_key_names_the_kind_and_the_moment() -> None:
    deadline = Deadline(DeadlineKind.DECISION_ESCALATION, T0, (Recipient.COORDINATEUR,))
    assert deadline.key == "decision_escalation@2025-03-03T09:00:00+00:00"


# ---------------------------------------------------------------- contact attempts


def test_three_spaced_failed_attempts_make_the_case_unreachable() -> None:
    case = assigned()
    case.later(days=1).do(attempt())
    case.later(days=2).do(attempt(AttemptResult.FAUX_NUMERO))
    assert case.state.stage == Stage.CONTACT
    events = case.later(days=2).do(attempt())
    assert case.state.stage == Stage.INJOIGNABLE
    assert case.state.failed_attempts == 3
    assert events[-1].data == {
        "from": "contact",
        "to": "injoignable",
        "reason": "max_failed_attempts",
    }
    assert DeadlineKind.STUCK_ESCALATION not in case.kinds()


def test_three_failed_attempts_the_same_day_count_once() -> None:
    case = assigned()
    for hour in range(3):
        case.at(T0 + timedelta(days=1, hours=hour)).do(attempt())
    assert case.state.stage == Stage.CONTACT
    assert case.state.failed_attempts == 1
    assert case.state.attempts_in_stage == 3


def test_attempts_closer_than_the_spacing_do_not_count() -> None:
    case = assigned()
    case.later(days=1).do(attempt())
    case.later(days=1, hours=23).do(attempt())
    case.later(hours=2).do(attempt())
    assert case.state.failed_attempts == 2


def test_a_message_left_or_a_reached_young_person_is_not_a_failure() -> None:
    case = assigned()
    case.later(days=1).do(attempt(AttemptResult.MESSAGE_LAISSE))
    case.later(days=3).do(attempt(AttemptResult.JOINT))
    assert case.state.failed_attempts == 0


def test_short_policy_spacing_applies() -> None:
    case = assigned(policy=TimerPolicy(attempt_spacing="PT30S", max_failed_attempts=2))
    case.do(attempt())
    case.later(seconds=30).do(attempt())
    assert case.state.stage == Stage.INJOIGNABLE


def test_unreachable_case_reopens_on_a_new_identification() -> None:
    case = assigned()
    for _ in range(3):
        case.later(days=2).do(attempt())
    assert case.state.stage == Stage.INJOIGNABLE
    case.later(days=60).do(ReidentifyInput(COORD, Source.SIEI, case.now))
    assert case.state.stage == Stage.CONTACT
    assert case.state.failed_attempts == 0
    assert case.deadline(DeadlineKind.NO_CONTACT_REMINDER).at == case.now + timedelta(days=5)


# ---------------------------------------------------------------- step effects


def test_contact_outcomes_that_end_the_case() -> None:
    expected = {
        ContactOutcome.DEJA_EN_SOLUTION: Outcome.DEJA_EN_SOLUTION,
        ContactOutcome.REFUS: Outcome.REFUS,
        ContactOutcome.DEMENAGE: Outcome.DEMENAGE,
        ContactOutcome.HORS_CHAMP: Outcome.HORS_CHAMP,
    }
    for contact, outcome in expected.items():
        case = assigned()
        case.later(days=1).do(
            RecordContactOutcomeInput(
                REFERENT, contact, solution_type=SolutionType.EMPLOI, new_commune="35238"
            )
        )
        assert (case.state.stage, case.state.outcome) == (Stage.CLOTURE, outcome)


def test_no_show_goes_back_to_contacting() -> None:
    case = in_bilan()
    case.do(ScheduleInterviewInput(REFERENT, T0 + timedelta(days=4)))
    case.at(T0 + timedelta(days=4)).do(RecordInterviewInput(REFERENT, held=False))
    assert case.state.stage == Stage.CONTACT
    assert case.deadline(DeadlineKind.NO_CONTACT_REMINDER).at == case.now + timedelta(days=5)


def test_decision_changes_requested_and_entry_refused_go_back_to_proposal() -> None:
    case = in_decision()
    case.do(DecideInput(COORD, Decision.MODIFIER, "Préciser la date"))
    assert case.state.stage == Stage.PROPOSITION
    case.do(ProposeSolutionsInput(REFERENT, [SOLUTION]))
    case.do(DecideInput(COORD, Decision.VALIDER))
    case.do(ConfirmEntryInput(REFERENT, entered=False))
    assert case.state.stage == Stage.PROPOSITION


def test_rupture_reopens_at_contact_with_solutions_cleared_and_history_kept() -> None:
    case = in_suivi()
    case.at(datetime(2025, 5, 2, 9, tzinfo=UTC)).do(
        RecordFollowUpInput(REFERENT, FollowUpStatus.MAINTENU)
    )
    events = case.later(days=20).do(RecordFollowUpInput(REFERENT, FollowUpStatus.RUPTURE))
    state = case.state
    assert state.stage == Stage.CONTACT
    assert (state.solutions, state.entered_on) == ([], None)
    assert (state.failed_attempts, state.attempts_in_stage) == (0, 0)
    assert state.referent_id == "u-ref"
    assert [e.kind for e in events] == ["follow_up", "stage_changed"]
    assert events[1].data == {"from": "suivi", "to": "contact", "reason": "rupture"}
    assert DeadlineKind.FOLLOW_UP_DUE not in case.kinds()
    assert case.deadline(DeadlineKind.NO_CONTACT_REMINDER).at == case.now + timedelta(days=5)


def test_closed_case_reopens_at_contact_and_keeps_its_referent() -> None:
    case = assigned()
    case.do(CloseCaseInput(REFERENT, Outcome.REFUS))
    case.later(days=40).do(ReopenCaseInput(COORD, "Le jeune a rappelé"))
    assert (case.state.stage, case.state.outcome, case.state.closed_at) == (
        Stage.CONTACT,
        None,
        None,
    )


def test_each_step_records_who_did_it_with_a_unique_key_and_bumps_the_version() -> None:
    case = Case(new_case())
    events = case.do(AssignReferentInput(COORD, "u-ref", "s-ml"))
    assert [e.kind for e in events] == ["referent_assigned", "stage_changed"]
    assert [e.key for e in events] == ["k1:0", "k1:1"]
    assert (events[0].actor_id, events[0].actor_role, events[0].at) == (
        "u-coord",
        "coordinateur",
        T0,
    )
    assert events[0].data == {"referent_id": "u-ref", "structure_id": "s-ml"}
    assert case.state.version == 1


# ---------------------------------------------------------------- rejected steps

FRENCH = re.compile(
    r"\b(le|la|les|du|de|des|est|au|aux|une?|impossible|Précisez|Proposez|Aucun|doit|dossier)\b"
)
ENGLISH = re.compile(r"\b(the|not|must|is|cannot|invalid|allowed|step)\b", re.IGNORECASE)

ALL_STEPS: list[Step] = [
    AssignReferentInput(COORD, "u-ref"),
    attempt(),
    accepts(),
    ScheduleInterviewInput(REFERENT, T0 + timedelta(days=3)),
    RecordInterviewInput(REFERENT, held=True),
    ProposeSolutionsInput(REFERENT, [SOLUTION]),
    DecideInput(COORD, Decision.VALIDER),
    ConfirmEntryInput(REFERENT, True),
    RecordFollowUpInput(REFERENT, FollowUpStatus.MAINTENU),
    CloseCaseInput(REFERENT, Outcome.REFUS),
    ReopenCaseInput(COORD, "retour"),
    RecordSummonsInput(REFERENT, date(2025, 3, 5)),
    ReidentifyInput(COORD, Source.SIEI, T0),
]


def states_at_every_stage() -> dict[str, CaseState]:
    unreachable = assigned()
    for _ in range(3):
        unreachable.later(days=2).do(attempt())
    closed = assigned()
    closed.do(CloseCaseInput(REFERENT, Outcome.REFUS))
    entree = in_decision()
    entree.do(DecideInput(COORD, Decision.VALIDER))
    proposition = in_bilan()
    proposition.do(ScheduleInterviewInput(REFERENT, T0 + timedelta(days=2)))
    proposition.do(RecordInterviewInput(REFERENT, True))
    return {
        "a_router": Case(new_case()).state,
        "contact": assigned().state,
        "injoignable": unreachable.state,
        "bilan": in_bilan().state,
        "proposition": proposition.state,
        "decision": in_decision().state,
        "entree": entree.state,
        "suivi": in_suivi().state,
        "cloture": closed.state,
    }


def test_every_rejected_transition_explains_itself_in_french() -> None:
    rejected = 0
    for stage, state in states_at_every_stage().items():
        assert state.stage.value == stage
        for step in ALL_STEPS:
            try:
                check_step(state, step)
            except StepRejected as exc:
                rejected += 1
                message = str(exc)
                assert FRENCH.search(message), message
                assert not ENGLISH.search(message), message
                assert message.endswith("."), message
    assert rejected >= 60


@pytest.mark.parametrize(
    ("step", "message"),
    [
        (
            RecordContactOutcomeInput(REFERENT, ContactOutcome.DEJA_EN_SOLUTION),
            "Précisez le type de solution",
        ),
        (
            RecordContactOutcomeInput(REFERENT, ContactOutcome.DEMENAGE),
            "Précisez la nouvelle commune",
        ),
        (CloseCaseInput(REFERENT, Outcome.AUTRE), "Précisez le motif de clôture"),
        (AssignReferentInput(COORD, ""), "Le référent est obligatoire"),
        (RecordInterviewInput(REFERENT, True), None),
    ],
)
def test_incomplete_steps_are_rejected(step: Step, message: str | None) -> None:
    case = assigned()
    with pytest.raises(StepRejected, match=message or "impossible"):
        check_step(case.state, step)


def test_rejected_step_changes_nothing() -> None:
    case = in_bilan()
    before = repr(case.state)
    with pytest.raises(StepRejected, match="Aucun entretien n'est planifié"):
        case.do(RecordInterviewInput(REFERENT, held=True))
    with pytest.raises(StepRejected, match="fuseau horaire"):
        case.do(ScheduleInterviewInput(REFERENT, datetime(2025, 3, 10, 14)))
    assert repr(case.state) == before


def test_a_proposal_needs_at_least_one_solution() -> None:
    case = in_bilan()
    case.do(ScheduleInterviewInput(REFERENT, T0 + timedelta(days=2)))
    case.do(RecordInterviewInput(REFERENT, True))
    with pytest.raises(StepRejected, match="Proposez au moins une solution"):
        case.do(ProposeSolutionsInput(REFERENT, []))
    assert case.state.stage == Stage.PROPOSITION


def test_stage_rejection_names_the_current_and_the_possible_stages() -> None:
    case = assigned()
    with pytest.raises(StepRejected) as exc:
        check_step(case.state, DecideInput(COORD, Decision.VALIDER))
    assert str(exc.value) == (
        "Action « décision du coordinateur » impossible : le dossier est à l'étape "
        "« prise de contact » (étapes possibles : décision)."
    )
