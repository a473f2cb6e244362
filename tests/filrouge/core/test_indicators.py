"""Indicators from coded facts: milestones, rates and median delays."""

from datetime import UTC, datetime, timedelta

from filrouge.core.indicators import CaseFacts, Fact, compute

T0 = datetime(2026, 1, 5, 8, tzinfo=UTC)


def day(n: float) -> datetime:
    return T0 + timedelta(days=n)


def case(platform: str, stage: str, outcome: str | None, *events: Fact) -> CaseFacts:
    return CaseFacts(platform, "siei", stage, outcome, T0, list(events))


def test_milestones_rates_and_medians() -> None:
    maintained = case(
        "a",
        "cloture",
        "maintenu_en_solution",
        Fact("contact_attempt", day(2), {"result": "pas_de_reponse"}),
        Fact("contact_attempt", day(4), {"result": "joint"}),
        Fact("interview_recorded", day(10), {"held": True}),
        Fact("solutions_proposed", day(11), {"solutions": [{"type": "cej"}]}),
        Fact("entry_confirmed", day(30), {"entered": True}),
        Fact("stage_changed", day(210), {"to": "cloture", "reason": "last_follow_up_maintained"}),
    )
    already = case(
        "a",
        "cloture",
        "deja_en_solution",
        Fact("contact_attempt", day(6), {"result": "joint"}),
        Fact("contact_outcome", day(6), {"outcome": "deja_en_solution", "solution_type": "emploi"}),
    )
    lost = case(
        "b",
        "injoignable",
        None,
        Fact("contact_attempt", day(1), {"result": "faux_numero"}),
        Fact("stage_changed", day(9), {"to": "injoignable", "reason": "max_failed_attempts"}),
    )

    a = compute("a", [maintained, already])
    everything = compute("*", [maintained, already, lost])

    assert a["reached"] == 2 and a["interviewed"] == 1 and a["in_solution"] == 2
    assert a["maintained_6_months"] == 1
    assert a["by_solution_type"] == {"cej": 1, "emploi": 1}
    assert a["closed_by_outcome"] == {"deja_en_solution": 1, "maintenu_en_solution": 1}
    assert a["median_days"] == {
        "identification_to_first_contact": 4.0,
        "first_contact_to_interview": 8.0,
        "interview_to_solution": 20.0,
        "identification_to_solution": 18.0,
    }
    assert everything["unreachable_rate"] == round(1 / 3, 3)
    assert everything["followed"] == 1


def test_no_case_gives_zeros_and_no_rate() -> None:
    empty = compute("x", [])
    assert empty["identified"] == 0
    assert empty["refusal_rate"] is None
    assert empty["median_days"]["interview_to_solution"] is None
