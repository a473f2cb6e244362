"""Delays typed by an administrator: parsed, and refused in French when unusable."""

from __future__ import annotations

from datetime import timedelta

import pytest

from filrouge.core.domain import TimerPolicy
from filrouge.core.durations import TOO_LONG, bounded_duration, parse_duration


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
