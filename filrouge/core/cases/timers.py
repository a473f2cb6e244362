"""When the case workflow wakes up: capped waits, and no timer that ends on a birthday.

Timer durations are not encrypted in Temporal histories, and a timer that ended on the 18th
or 26th birthday would give the birth date away. So a deadline derived from a birthday never
gets a timer of its own: while one is ahead, the workflow waits in chunks of at most
`MAX_WAIT` and fires it at the first wake after it is due. No timer ends on a birthday of the
young person at all: a chunk that would is shortened by a day, a deadline that falls on one is
fired the day after.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from filrouge.core.cases.pathway import (
    BIRTHDAY_DEADLINES,
    CaseState,
    Deadline,
    deadlines,
    next_deadline,
)
from filrouge.core.durations import birthday

MAX_WAIT = timedelta(days=7)
_DAY = timedelta(days=1)


@dataclass(frozen=True)
class Wake:
    """When the workflow wakes next, and the deadline it fires then (None: only a chunk)."""

    at: datetime
    deadline: Deadline | None


def is_birthday(day: date, birth_date: date) -> bool:
    """True when `day` is a birthday of someone born on `birth_date` (29 Feb -> 28 Feb)."""
    years = day.year - birth_date.year
    return years >= 0 and birthday(birth_date, years) == day


def next_wake(state: CaseState, now: datetime) -> Wake | None:
    """The workflow's next wake-up (None: only a step can change the case now)."""
    due = next_deadline(state)
    if due is None:
        return None
    if due.at <= now:
        return Wake(now, due)
    exact = next_deadline(state, exclude=BIRTHDAY_DEADLINES)
    if exact is not None and (not _birthday_ahead(state) or exact.at - now <= MAX_WAIT):
        return Wake(_after_birthdays(exact.at, state.birth_date), exact)
    return Wake(_before_birthdays(now + MAX_WAIT, state.birth_date), None)


def _birthday_ahead(state: CaseState) -> bool:
    fired = set(state.fired)
    return any(d.kind in BIRTHDAY_DEADLINES and d.key not in fired for d in deadlines(state))


def _after_birthdays(moment: datetime, birth_date: date) -> datetime:
    while is_birthday(moment.date(), birth_date):
        moment += _DAY
    return moment


def _before_birthdays(moment: datetime, birth_date: date) -> datetime:
    while is_birthday(moment.date(), birth_date):
        moment -= _DAY
    return moment
