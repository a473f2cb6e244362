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


# French words for a duration, as people type them: "5 jours", "1 an et 6 mois", "12 h".
_FRENCH_UNITS = {
    "an": "Y", "ans": "Y", "année": "Y", "années": "Y",
    "mois": "M",
    "semaine": "W", "semaines": "W", "sem": "W",
    "jour": "D", "jours": "D", "j": "D",
    "heure": "H", "heures": "H", "h": "H",
    "minute": "MIN", "minutes": "MIN", "min": "MIN",
    "seconde": "S", "secondes": "S", "s": "S",
}  # fmt: skip
_FRENCH_PART = re.compile(r"(\d+)\s*([^\W\d_]+)")
_FRENCH_JOINS = re.compile(r"^(?:\s|et\b)*$")
IMMEDIATE = "immédiat"


def duration_words(text: str) -> str:
    """'P5D' -> '5 jours', 'P1M' -> '1 mois', 'PT30S' -> '30 secondes' (the text itself when
    it is not a duration)."""
    try:
        duration = parse_duration(text)
    except ValueError:
        return text
    seconds = int(duration.span.total_seconds())
    units = [(duration.months, "mois", "mois")]
    for size, one, many in ((86400, "jour", "jours"), (3600, "heure", "heures")):
        units.append((seconds // size, one, many))
        seconds %= size
    units += [(seconds // 60, "minute", "minutes"), (seconds % 60, "seconde", "secondes")]
    words = [f"{n} {one if n == 1 else many}" for n, one, many in units if n]
    return " et ".join(words) or IMMEDIATE


def iso_from_words(text: str) -> str | None:
    """The ISO 8601 text of a duration written in French ('5 jours' -> 'P5D', '1 an et 6 mois'
    -> 'P1Y6M', 'immédiat' -> 'PT0S'), the inverse of `duration_words`; None when the text
    is not such a duration."""
    words = text.strip().lower()
    if words == IMMEDIATE:
        return "PT0S"
    amounts: dict[str, int] = {}
    end = 0
    for part in _FRENCH_PART.finditer(words):
        unit = _FRENCH_UNITS.get(part[2])
        if unit is None or unit in amounts or not _FRENCH_JOINS.match(words[end : part.start()]):
            return None
        amounts[unit], end = int(part[1]), part.end()
    if not amounts or words[end:].strip():
        return None
    date_part = "".join(f"{amounts[u]}{u}" for u in ("Y", "M", "W", "D") if u in amounts)
    time_part = "".join(f"{amounts[u]}{u[0]}" for u in ("H", "MIN", "S") if u in amounts)
    return f"P{date_part}" + (f"T{time_part}" if time_part else "")


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
