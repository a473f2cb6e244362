"""Dates as people read them: in French, in the time zone of their platform.

A platform's time zone is the one an administrator chose, or else the one its territory lies
in (an overseas département has its own); mails, pages and exports all show dates through
`french_date` / `french_datetime` with it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from filrouge.core.routing import Territory, departement_of_insee, departement_of_postal_code

DEFAULT_TIME_ZONE = "Europe/Paris"

# Overseas départements and collectivities whose codes a territory can hold (3 digits).
OVERSEAS_TIME_ZONES: dict[str, str] = {
    "971": "America/Guadeloupe",
    "972": "America/Martinique",
    "973": "America/Cayenne",
    "974": "Indian/Reunion",
    "975": "America/Miquelon",
    "976": "Indian/Mayotte",
    "977": "America/St_Barthelemy",
    "978": "America/Marigot",
    "986": "Pacific/Wallis",
    "987": "Pacific/Tahiti",
    "988": "Pacific/Noumea",
}

_MONTHS = (
    "janvier février mars avril mai juin juillet août septembre octobre novembre décembre"
).split()


def territory_time_zone(territory: Territory) -> str:
    """The zone every code of the territory lies in; Paris when empty or mixed."""
    departements = {departement_of_insee(c) for c in territory.communes}
    departements |= {departement_of_postal_code(p) or "" for p in territory.postal_codes}
    departements |= set(territory.departements)
    zones = {OVERSEAS_TIME_ZONES.get(d, DEFAULT_TIME_ZONE) for d in departements if d}
    return zones.pop() if len(zones) == 1 else DEFAULT_TIME_ZONE


def platform_time_zone(territory: dict[str, Any] | None, chosen: str | None) -> str:
    """A platform's time zone: the administrator's choice, else its territory's."""
    return chosen or territory_time_zone(Territory.from_json(territory))


def is_time_zone(name: str) -> bool:
    """Whether `name` is an IANA time zone (e.g. `America/Cayenne`)."""
    return name in available_timezones()


def zone(name: str | tzinfo | None) -> tzinfo:
    """The zone of that name (Paris when none is given; UTC without a time-zone database)."""
    if isinstance(name, tzinfo):
        return name
    try:
        return ZoneInfo(name or DEFAULT_TIME_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def french_date(
    value: date | datetime | None, where: str | tzinfo | None = None, missing: str = "—"
) -> str:
    """'3 mars 2026' or '1er mars 2026'; a moment is first put in the zone `where`."""
    if value is None:
        return missing
    if isinstance(value, datetime):
        value = value.astimezone(zone(where))
    day = "1er" if value.day == 1 else str(value.day)
    return f"{day} {_MONTHS[value.month - 1]} {value.year}"


def french_datetime(
    value: datetime | None, where: str | tzinfo | None = None, missing: str = "—"
) -> str:
    """'3 mars 2026 à 14 h 05' in the zone `where`."""
    if value is None:
        return missing
    local = value.astimezone(zone(where))
    return f"{french_date(local, where)} à {local.hour} h {local.minute:02d}"
