"""The pathway's state, its deadlines and what a firing changes (stage labels: `domain`).

Pure functions over `CaseState`, used by the case workflow (deterministic) and unit-tested alone.
The human steps are declared in `steps.py`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from enum import StrEnum
from typing import Any

from filrouge.core.domain import (
    OPEN_STAGES,
    Outcome,
    Recipient,
    Solution,
    Source,
    Stage,
    StartCaseInput,
    TimerPolicy,
)
from filrouge.core.domain import STAGE_LABELS as STAGE_LABELS
from filrouge.core.durations import age_on, birthday, parse_duration


class StepRejected(Exception):
    """A step that is not allowed now; the message is French and shown to the user (HTTP 409).

    `field`: the step's input field at fault, when one is (a form shows the refusal by it).
    """

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class DeadlineKind(StrEnum):
    """Every timer of the pathway (DOMAIN.md, 'Timers')."""

    ROUTING_ESCALATION = "routing_escalation"
    NO_CONTACT_REMINDER = "no_contact_reminder"
    NO_CONTACT_ESCALATION = "no_contact_escalation"
    STUCK_ESCALATION = "stuck_escalation"
    INTERVIEW_REMINDER = "interview_reminder"
    INTERVIEW_UNRECORDED_REMINDER = "interview_unrecorded_reminder"
    INTERVIEW_UNRECORDED_ESCALATION = "interview_unrecorded_escalation"
    DROIT_RETOUR_DEADLINE = "droit_retour_deadline"
    DECISION_ESCALATION = "decision_escalation"
    ENTRY_UNCONFIRMED_REMINDER = "entry_unconfirmed_reminder"
    FOLLOW_UP_DUE = "follow_up_due"
    OBLIGATION_REPORT = "obligation_report"
    OBLIGATION_ENDS = "obligation_ends"
    AGE_LIMIT = "age_limit"
    INACTIVITY_WARNING = "inactivity_warning"
    INACTIVITY_CLOSURE = "inactivity_closure"
    RETENTION_DUE = "retention_due"


@dataclass(frozen=True)
class Deadline:
    kind: DeadlineKind
    at: datetime
    recipients: tuple[Recipient, ...]
    since: datetime | None = field(default=None, compare=False)  # what it counts from, if told

    @property
    def key(self) -> str:
        """Business key of this firing: one e-mail and one audit row per key, ever."""
        return f"{self.kind.value}@{self.at.isoformat()}"


@dataclass
class AuditEvent:
    """One thing that happened, as the workflow describes it to the audit log."""

    key: str
    kind: str
    data: dict[str, Any] = field(default_factory=dict)
    actor_id: str | None = None
    actor_role: str | None = None
    at: datetime | None = None


@dataclass
class Notice:
    """A one-off message a step asks the workflow to send (not a timer): e.g. the référent
    told that the young person they follow was identified again."""

    kind: str
    at: datetime
    source: str = ""

    @property
    def key(self) -> str:
        return f"{self.kind}@{self.at.isoformat()}"


REIDENTIFIED_NOTICE = "reidentified"


class Rule(StrEnum):
    """Pathway rules that came after cases were already running.

    A run follows a rule only when the workflow's patch of the same name is on
    (`workflow.patched`), so a run started before the rule replays as it ran.
    """

    TIMER_CHUNKS = "timer-chunks-v1"
    INACTIVITY_CLOSURE = "inactivity-closure-v1"
    DROIT_RETOUR_AGAIN = "droit-retour-again-v1"
    OBLIGATION_REPORT_AFTER_CLOSURE = "obligation-report-after-closure-v1"
    # A stuck case no longer mails the regional pilots itself: its firing is counted in their
    # daily digest (counts per platform of their Région, `filrouge.core.digest`).
    PILOT_DIGEST = "pilot-digest-v1"
    # The interview's place is kept and given in the young person's convocation.
    INTERVIEW_PLACE = "interview-place-v1"


def _all_rules() -> list[str]:
    return [r.value for r in Rule]


@dataclass
class CaseState:
    """The small state a case workflow carries (also across continue-as-new)."""

    case_id: str
    platform_id: str
    source: Source
    identified_at: datetime
    birth_date: date
    leaving_date: date | None
    policy: TimerPolicy
    stage: Stage = Stage.A_ROUTER
    stage_entered_at: datetime | None = None
    referent_id: str | None = None
    structure_id: str | None = None
    convocation_allowed: bool = False
    droit_retour_at: datetime | None = None
    attempts_in_stage: int = 0
    failed_attempts: int = 0
    last_counted_failure_at: datetime | None = None
    interview_at: datetime | None = None
    # Where the interview takes place, as the référent typed it (personal: never logged).
    interview_place: str | None = None
    interview_held: bool = False
    solutions: list[Solution] = field(default_factory=list)
    in_meeting: bool = False
    entered_on: date | None = None
    checks_done: int = 0
    summons_on: date | None = None
    obligation_reported_on: date | None = None  # the report to the département was sent
    outcome: Outcome | None = None
    closed_at: datetime | None = None
    last_activity_at: datetime | None = None  # last human step or new identification
    version: int = 0
    fired: list[str] = field(default_factory=list)
    recent_updates: dict[str, Any] = field(default_factory=dict)
    notices: list[Notice] = field(default_factory=list)
    rules: list[str] = field(default_factory=_all_rules)

    @classmethod
    def new(cls, start: StartCaseInput) -> CaseState:
        """State of a freshly identified case."""
        state = cls(
            case_id=start.case_id,
            platform_id=start.platform_id,
            source=start.source,
            identified_at=start.identified_at,
            birth_date=start.birth_date,
            leaving_date=start.leaving_date,
            policy=start.policy,
            stage_entered_at=start.identified_at,
            convocation_allowed=start.convocation_allowed,
        )
        if start.source == Source.DROIT_AU_RETOUR:
            state.droit_retour_at = start.identified_at
        return state

    @property
    def is_open(self) -> bool:
        return self.stage in OPEN_STAGES


def _as_datetime(day: date) -> datetime:
    return datetime.combine(day, time(8, 0), tzinfo=UTC)


def _after(anchor: datetime | None, iso: str) -> datetime | None:
    return parse_duration(iso).after(anchor) if anchor else None


# ---------------------------------------------------------------- deadlines


def deadlines(state: CaseState) -> list[Deadline]:
    """All deadlines that apply to the case in its current state, fired or not."""
    p, found = state.policy, []

    def add(
        kind: DeadlineKind, at: datetime | None, *to: Recipient, since: datetime | None = None
    ) -> None:
        if at is not None:
            found.append(Deadline(kind, at, to, since))

    entered = state.stage_entered_at
    if state.stage not in (Stage.CLOTURE, Stage.INJOIGNABLE):
        stuck = _after(_stuck_since(state), p.stuck_escalation)
        pilots = () if Rule.PILOT_DIGEST in state.rules else (Recipient.PILOTE,)
        add(DeadlineKind.STUCK_ESCALATION, stuck, *pilots)
    if state.stage == Stage.A_ROUTER:
        add(
            DeadlineKind.ROUTING_ESCALATION,
            _after(entered, p.routing_escalation),
            Recipient.COORDINATEUR,
        )
    if state.stage == Stage.CONTACT and state.attempts_in_stage == 0:
        remind = _after(entered, p.reminder_no_contact)
        add(DeadlineKind.NO_CONTACT_REMINDER, remind, Recipient.REFERENT)
        escalate = _after(entered, p.escalation_no_contact)
        add(DeadlineKind.NO_CONTACT_ESCALATION, escalate, Recipient.COORDINATEUR)
    if state.stage == Stage.BILAN and state.interview_at is not None:
        _interview_deadlines(state, add)
    if state.droit_retour_at and not state.interview_held and state.is_open:
        due = _after(state.droit_retour_at, p.droit_retour_deadline)
        since = state.droit_retour_at
        add(DeadlineKind.DROIT_RETOUR_DEADLINE, due, Recipient.COORDINATEUR, since=since)
    if state.stage == Stage.DECISION and not state.in_meeting:
        due = _after(entered, p.decision_escalation)
        add(DeadlineKind.DECISION_ESCALATION, due, Recipient.COORDINATEUR)
    if state.stage == Stage.ENTREE and state.solutions:
        due = _after(_solution_start(state), p.entry_unconfirmed_reminder)
        add(DeadlineKind.ENTRY_UNCONFIRMED_REMINDER, due, Recipient.REFERENT)
    if state.stage == Stage.SUIVI:
        add(DeadlineKind.FOLLOW_UP_DUE, _follow_up_due(state), Recipient.REFERENT)
    if state.is_open:
        _age_deadlines(state, add)
    elif _report_due_after_closure(state):
        add(DeadlineKind.OBLIGATION_REPORT, _obligation_report_at(state), Recipient.COORDINATEUR)
    if state.is_open and Rule.INACTIVITY_CLOSURE in state.rules:
        _inactivity_deadlines(state, add)
    if state.stage == Stage.CLOTURE:
        add(DeadlineKind.RETENTION_DUE, _after(state.closed_at, p.retention))
    return found


def _solution_start(state: CaseState) -> datetime | None:
    starts = [s.start_date for s in state.solutions]
    return _as_datetime(min(starts)) if starts else None


def _follow_up_due(state: CaseState) -> datetime | None:
    checks = state.policy.follow_up_checks
    if not state.entered_on or state.checks_done >= len(checks):
        return None
    return _after(_as_datetime(state.entered_on), checks[state.checks_done])


def _stuck_since(state: CaseState) -> datetime | None:
    """Waiting for a future start date or the next follow-up check is not being stuck."""
    entered = state.stage_entered_at
    if state.stage == Stage.ENTREE:
        start = _solution_start(state)
        return max(entered, start) if entered and start else entered
    if state.stage == Stage.SUIVI:
        return _follow_up_due(state) or entered
    return entered


def _interview_deadlines(state: CaseState, add: Any) -> None:
    p, at = state.policy, state.interview_at
    assert at is not None
    to = (
        (Recipient.REFERENT, Recipient.JEUNE)
        if state.convocation_allowed
        else (Recipient.REFERENT,)
    )
    add(
        DeadlineKind.INTERVIEW_REMINDER, parse_duration(p.interview_reminder_before).before(at), *to
    )
    remind = _after(at, p.interview_unrecorded_reminder)
    add(DeadlineKind.INTERVIEW_UNRECORDED_REMINDER, remind, Recipient.REFERENT)
    escalate = _after(at, p.interview_unrecorded_escalation)
    add(DeadlineKind.INTERVIEW_UNRECORDED_ESCALATION, escalate, Recipient.COORDINATEUR)


def _obligation_report_at(state: CaseState) -> datetime | None:
    """When a summoned minor must be reported to the département (None: no report due)."""
    if not state.summons_on or state.obligation_reported_on:
        return None
    report = parse_duration(state.policy.obligation_report).after(_as_datetime(state.summons_on))
    return report if report < _as_datetime(birthday(state.birth_date, 18)) else None


# Closed with the young person in a solution: the obligation de formation is met.
_IN_SOLUTION = frozenset({Outcome.MAINTENU, Outcome.DEJA_EN_SOLUTION})


def _report_due_after_closure(state: CaseState) -> bool:
    """A minor's report stays due when the case closed before 18 (a refusal, typically)."""
    return (
        Rule.OBLIGATION_REPORT_AFTER_CLOSURE in state.rules
        and state.stage == Stage.CLOTURE
        and state.outcome not in _IN_SOLUTION
    )


def _age_deadlines(state: CaseState, add: Any) -> None:
    eighteen = _as_datetime(birthday(state.birth_date, 18))
    if state.stage not in (Stage.SUIVI,):
        add(DeadlineKind.OBLIGATION_REPORT, _obligation_report_at(state), Recipient.COORDINATEUR)
    if eighteen > state.identified_at:
        add(DeadlineKind.OBLIGATION_ENDS, eighteen)
    twenty_six = _as_datetime(birthday(state.birth_date, 26))
    add(DeadlineKind.AGE_LIMIT, twenty_six, Recipient.REFERENT, Recipient.COORDINATEUR)


INACTIVITY_WARNING_BEFORE = parse_duration("P1M")


def _inactivity_deadlines(state: CaseState, add: Any) -> None:
    """An open case left without a human step or a new identification closes (DOMAIN.md)."""
    since = max(
        t for t in (state.last_activity_at, state.stage_entered_at, state.identified_at) if t
    )
    closes = parse_duration(state.policy.inactivity_closure).after(since)
    # A month before, or half-way for a policy shorter than two months.
    warns = max(INACTIVITY_WARNING_BEFORE.before(closes), since + (closes - since) / 2)
    add(DeadlineKind.INACTIVITY_WARNING, warns, Recipient.COORDINATEUR)
    add(DeadlineKind.INACTIVITY_CLOSURE, closes)


def inactivity_closes_at(state: CaseState) -> datetime | None:
    """When the case will close for want of activity (None: it will not)."""
    found = [d.at for d in deadlines(state) if d.kind == DeadlineKind.INACTIVITY_CLOSURE]
    return found[0] if found else None


# Deadlines that only inform: once fired, nothing is left for anyone to do. The reminder
# before an interview is one of them: it announces the appointment, nobody is late yet.
INFORMATIVE = frozenset(
    {
        DeadlineKind.INTERVIEW_REMINDER,
        DeadlineKind.OBLIGATION_ENDS,
        DeadlineKind.AGE_LIMIT,
        DeadlineKind.INACTIVITY_WARNING,
        DeadlineKind.INACTIVITY_CLOSURE,
        DeadlineKind.RETENTION_DUE,
    }
)


def overdue_since(state: CaseState) -> datetime | None:
    """When the oldest fired deadline that still awaits an action fell due (None: up to date)."""
    fired = set(state.fired)
    late = [d.at for d in deadlines(state) if d.key in fired and d.kind not in INFORMATIVE]
    return min(late, default=None)


def escalated_since(state: CaseState) -> datetime | None:
    """When the oldest escalation to the coordinators that still awaits an action fell due
    (None: nothing escalated to them is pending)."""
    fired = set(state.fired)
    late = [
        d.at
        for d in deadlines(state)
        if d.key in fired and d.kind not in INFORMATIVE and Recipient.COORDINATEUR in d.recipients
    ]
    return min(late, default=None)


# Deadlines whose date reveals the young person's birth date.
BIRTHDAY_DEADLINES = frozenset({DeadlineKind.OBLIGATION_ENDS, DeadlineKind.AGE_LIMIT})


def next_deadline(
    state: CaseState, exclude: frozenset[DeadlineKind] = frozenset()
) -> Deadline | None:
    """The earliest deadline not yet fired (optionally ignoring some kinds)."""
    pending = [d for d in deadlines(state) if d.key not in state.fired and d.kind not in exclude]
    return min(pending, key=lambda d: d.at, default=None)


def mark_fired(state: CaseState, deadline: Deadline) -> None:
    """Remember a firing; forget firings that no longer apply so the state stays small."""
    live = {d.key for d in deadlines(state)}
    state.fired = [k for k in state.fired if k in live] + [deadline.key]


# ---------------------------------------------------------------- timer effects

TIMER_FIRED = "timer_fired"


def _obligation_ends(state: CaseState) -> None:
    # At 18 the obligation de formation ends: a summons no longer starts any legal clock.
    state.summons_on = None


# What a deadline firing changes in the case, beside the steps' effects (`steps.py`).
# Deadlines not listed here only send their reminders or escalations.
TIMER_EFFECTS: dict[DeadlineKind, Callable[[CaseState], None]] = {
    DeadlineKind.OBLIGATION_ENDS: _obligation_ends,
}


def fire_deadline(state: CaseState, due: Deadline, now: datetime) -> AuditEvent | None:
    """Apply a deadline that fell due to `state` (mutated) and return its audit event.

    None when the deadline no longer applies or already fired (nothing changes then).
    """
    if due.key not in {d.key for d in deadlines(state)} or due.key in state.fired:
        return None
    mark_fired(state, due)
    effect = TIMER_EFFECTS.get(due.kind)
    if effect is not None:
        effect(state)
    state.version += 1
    return AuditEvent(
        key=f"timer:{due.key}",
        kind=TIMER_FIRED,
        data={
            "deadline": due.kind.value,
            "due_at": due.at.isoformat(),
            "recipients": [r.value for r in due.recipients],
        },
        at=now,
    )


def obligation_until(summons_on: date | None, birth_date: date | None, today: date) -> date | None:
    """The 18th birthday while a minor's obligation de formation summons still runs, else None."""
    if summons_on is None or birth_date is None or age_on(birth_date, today) >= 18:
        return None
    return birthday(birth_date, 18)
