"""Delays typed by an administrator: parsed, and refused in French when unusable."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from filrouge.core.domain import TimerPolicy
from filrouge.core.durations import (
    TOO_LONG,
    bounded_duration,
    duration_words,
    iso_from_words,
    parse_duration,
)


@pytest.mark.parametrize("text", ["P99999999999D", "PT99999999999999999999S", "P9999999999W"])
def test_a_duration_too_big_for_a_date_is_a_value_error(text: str) -> None:
    with pytest.raises(ValueError, match="durée trop longue"):
        parse_duration(text)


@pytest.mark.parametrize("text", ["P101Y", "P100Y1D", "P1201M", "P36600D", "P99999Y"])
def test_a_delay_over_a_hundred_years_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match=TOO_LONG):
        bounded_duration(text)


@pytest.mark.parametrize("text", ["P100Y", "P3Y", "P1M", "PT30S", "P36524D"])
def test_a_delay_up_to_a_hundred_years_is_kept(text: str) -> None:
    assert bounded_duration(text) == parse_duration(text)


def test_the_timer_policy_names_a_delay_too_long_by_its_field() -> None:
    policy = TimerPolicy(retention="P99999Y", follow_up_checks=("P1M", "P9999999999D"))
    assert policy.problems() == {"retention": TOO_LONG, "follow_up_checks": TOO_LONG}
    assert parse_duration("P100Y").span == timedelta(0)


def test_parsed_durations_are_cached_and_cannot_be_changed() -> None:
    """parse_duration is cached (policies are read on every case creation): the shared
    result is frozen, and refusals are still raised each time."""
    first = parse_duration("P5D")
    assert parse_duration("P5D") is first
    with pytest.raises(dataclasses.FrozenInstanceError):
        first.months = 3  # type: ignore[misc]
    for _ in range(2):
        with pytest.raises(ValueError):
            parse_duration("5 jours")
    with pytest.raises(ValueError):
        parse_duration(5)  # type: ignore[arg-type]


def test_a_cached_policy_check_tells_true_from_1_and_hands_out_its_own_dict() -> None:
    """The policy checks are cached per distinct policy; `True == 1` for the dataclass, not
    for the check, and a caller changing the problems it got changes nobody else's."""
    assert TimerPolicy(max_failed_attempts=1).problems() == {}
    assert set(TimerPolicy(max_failed_attempts=True).problems()) == {"max_failed_attempts"}
    assert set(TimerPolicy(max_failed_attempts=1.0).problems()) == {"max_failed_attempts"}  # type: ignore[arg-type]
    flawed = TimerPolicy(follow_up_checks=("P1M", True))  # type: ignore[arg-type]
    assert set(flawed.problems()) == {"follow_up_checks"}
    problems = TimerPolicy(retention="jamais").problems()
    problems.clear()
    assert set(TimerPolicy(retention="jamais").problems()) == {"retention"}
    unhashable = TimerPolicy.unchecked({"follow_up_checks": ("P1M", ["P3M"])})
    assert set(unhashable.problems()) == {"follow_up_checks"}


@pytest.mark.parametrize(
    ("iso", "words"),
    [
        ("P5D", "5 jours"),
        ("P1D", "1 jour"),
        ("P2M", "2 mois"),
        ("PT30S", "30 secondes"),
        ("P1DT2H", "1 jour et 2 heures"),
        ("PT1H30M", "1 heure et 30 minutes"),
        ("PT0S", "immédiat"),
    ],
)
def test_a_delay_reads_in_french_and_back(iso: str, words: str) -> None:
    assert duration_words(iso) == words
    assert iso_from_words(words) == iso


@pytest.mark.parametrize(
    ("words", "iso"),
    [
        ("1 an et 6 mois", "P1Y6M"),
        ("3 Semaines", "P3W"),
        ("12 h", "PT12H"),
        ("5j", "P5D"),
        ("2 années", "P2Y"),
        ("  10 min ", "PT10M"),
    ],
)
def test_a_delay_is_typed_the_way_people_write_it(words: str, iso: str) -> None:
    assert iso_from_words(words) == iso
    assert parse_duration(iso) == parse_duration(iso_from_words(duration_words(iso)) or "")


@pytest.mark.parametrize(
    "words",
    [
        "cinq jours",
        "5 lunes",
        "5",
        "jours",
        "5 jours 2 jours",
        "5 jours et",
        "P5D",
        "1 mois, 3 mois",
        "",
    ],
)
def test_what_is_not_a_delay_in_words_is_none(words: str) -> None:
    assert iso_from_words(words) is None
