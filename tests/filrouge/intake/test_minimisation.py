"""Minimisation: forbidden categories are recognised in French and English field names."""

import pytest

from filrouge.intake.minimisation import first_forbidden, forbidden_field_category


@pytest.mark.parametrize(
    ("name", "category"),
    [
        ("sante", "santé"),
        ("health_notes", "santé"),
        ("handicap", "handicap"),
        ("disability", "handicap"),
        ("nationality", "nationalité"),
        ("nationalité", "nationalité"),
        ("situation_familiale", "situation familiale"),
        ("marital_status", "situation familiale"),
        ("infractions", "infractions"),
        ("criminal_record", "infractions"),
        ("religion", "religion et opinions"),
    ],
)
def test_forbidden_categories_are_recognised(name: str, category: str) -> None:
    assert forbidden_field_category(name) == category


@pytest.mark.parametrize("name", ["last_name", "phone", "reason", "comment", "remarque", "policy"])
def test_ordinary_names_are_not_forbidden(name: str) -> None:
    assert forbidden_field_category(name) is None


def test_first_forbidden_names_the_field() -> None:
    assert first_forbidden(["remarque", "medical", "sante"]) == ("medical", "santé")
    assert first_forbidden(["remarque"]) is None
