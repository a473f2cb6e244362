"""A platform's dates are read in its own time zone: Paris, or an overseas département's."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from filrouge.core.local_time import (
    DEFAULT_TIME_ZONE,
    OVERSEAS_TIME_ZONES,
    french_date,
    french_datetime,
    is_time_zone,
    platform_time_zone,
)

EVENING = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("territory", "expected"),
    [
        ({}, "Europe/Paris"),
        ({"communes": ["35238"], "postal_codes": ["35000"]}, "Europe/Paris"),
        ({"communes": ["97302"], "postal_codes": ["97300"]}, "America/Cayenne"),
        ({"postal_codes": ["97400", "97410"]}, "Indian/Reunion"),
        ({"departements": ["976"]}, "Indian/Mayotte"),
        ({"communes": ["97101"], "departements": ["972"]}, "Europe/Paris"),  # mixed: chosen
        ({"communes": ["2A004"]}, "Europe/Paris"),
    ],
)
def test_a_platform_s_zone_is_its_territory_s(territory: dict, expected: str) -> None:
    assert platform_time_zone(territory, None) == expected


def test_an_administrator_s_choice_wins_over_the_territory() -> None:
    assert platform_time_zone({"departements": ["973"]}, "Europe/Paris") == "Europe/Paris"


def test_every_overseas_zone_exists() -> None:
    assert all(is_time_zone(name) for name in OVERSEAS_TIME_ZONES.values())
    assert is_time_zone(DEFAULT_TIME_ZONE) and not is_time_zone("Mars/Olympus")


def test_the_same_moment_reads_differently_overseas() -> None:
    assert french_datetime(EVENING, "Europe/Paris") == "2 mars 2026 à 0 h 30"
    assert french_datetime(EVENING, "America/Cayenne") == "1er mars 2026 à 20 h 30"
    assert french_date(EVENING, "Indian/Reunion") == "2 mars 2026"
    assert french_datetime(None) == "—"
