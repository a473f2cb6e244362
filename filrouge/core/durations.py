"""ISO 8601 durations (`P5D`, `PT30S`, `P1M`) applied to datetimes, calendar-aware."""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache, wraps

_ISO = re.compile(
    r"^P(?!$)(?:(?P<years>\d+)Y)?(?:(?P<months>\d+)M)?(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?=\d)(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+)S)?)?$"
)
MAX_YEARS = 100  # a longer delay is a typing mistake (and dates end with the year 9999)
TOO_LONG = f"durée trop longue : au plus {MAX_YEARS} ans"


@dataclass(frozen=True)
class Duration:
    """A parsed ISO 8601 duration: calendar months plus an exact time span."""

    months: int
    span: timedelta

    def after(self, moment: datetime) -> datetime:
        """Return `moment` moved forward (month ends clamp: 31 Jan + P1M = end of February)."""
        return add_months(moment, self.months) + self.span

    def before(self, moment: datetime) -> datetime:
        """Return `moment` moved backward by this duration."""
        return add_months(moment, -self.months) - self.span


# Parsed durations are cached: a few distinct texts (the policies' values) are parsed again
# and again (every policy read, every timer). A Duration is immutable (frozen, an int and a
# timedelta), so sharing one is safe; a refusal (ValueError) is not cached.
CACHED_DURATIONS = 1024


def _cached_for_plain_str(parse: Callable[[str], Duration]) -> Callable[[str], Duration]:
    """`parse`, cached for plain `str` input (a frozen Duration; refusals are not cached); a
    str subclass or a non-str is parsed (or refused) uncached."""
    cached = lru_cache(maxsize=CACHED_DURATIONS)(parse)

    @wraps(parse)
    def parsed(text: str) -> Duration:
        return cached(text) if type(text) is str else parse(text)

    return parsed


@_cached_for_plain_str
def parse_duration(text: str) -> Duration:
    """Parse an ISO 8601 duration such as `P5D`, `PT30S` or `P1Y2M`; raise ValueError otherwise."""
    match = _ISO.match(text.strip().upper()) if isinstance(text, str) else None
    if not match:
        raise ValueError(f"durée ISO 8601 invalide : {text!r} (exemples : P5D, PT30S, P1M)")
    parts = {k: int(v) if v else 0 for k, v in match.groupdict().items()}
    try:
        span = timedelta(
            weeks=parts["weeks"],
            days=parts["days"],
            hours=parts["hours"],
            minutes=parts["minutes"],
            seconds=parts["seconds"],
        )
    except OverflowError:
        raise ValueError(TOO_LONG) from None
    return Duration(months=parts["years"] * 12 + parts["months"], span=span)


@_cached_for_plain_str
def bounded_duration(text: str) -> Duration:
    """Parse a delay someone typed, refusing one longer than MAX_YEARS (ValueError, French)."""
    duration = parse_duration(text)
    start = datetime(2000, 1, 1)
    too_long = duration.months > 12 * MAX_YEARS or duration.span > timedelta(days=366 * MAX_YEARS)
    if too_long or duration.after(start) > start.replace(year=start.year + MAX_YEARS):
        raise ValueError(TOO_LONG)
    return duration


def add_months(moment: datetime, months: int) -> datetime:
    """Add calendar months, clamping the day to the target month's length."""
    if months == 0:
        return moment
    index = moment.year * 12 + (moment.month - 1) + months
    year, month = divmod(index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def birthday(birth_date: date, years: int) -> date:
    """Return the date on which someone born on `birth_date` turns `years` (29 Feb -> 28 Feb)."""
    year = birth_date.year + years
    day = min(birth_date.day, calendar.monthrange(year, birth_date.month)[1])
    return date(year, birth_date.month, day)


def age_on(birth_date: date, on: date) -> int:
    """Age in whole years on a given date."""
    years = on.year - birth_date.year
    return years - (1 if birthday(birth_date, years) > on else 0)
