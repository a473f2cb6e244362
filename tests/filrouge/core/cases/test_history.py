"""A case's history reads in French: every event kind, every code, dates in the zone."""

from __future__ import annotations

from datetime import UTC, datetime

from filrouge.core.audit import ERASED, ERASED_KIND
from filrouge.core.cases.history import EVENT_LABELS, history_line
from filrouge.core.cases.pathway import TIMER_FIRED
from filrouge.core.cases.steps import STEPS
from filrouge.core.labels import CODE_LABELS

AT = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)


def test_every_event_kind_has_a_french_name() -> None:
    recorded = {d.audit for d in STEPS} | {"case_identified", "stage_changed", "routing_needed"}
    recorded |= {TIMER_FIRED, ERASED_KIND, "person_rectified"}
    recorded |= {"email_sent", "email_failed", "email_no_recipient", "email_undelivered"}
    assert sorted(recorded - set(EVENT_LABELS)) == []


def test_every_code_of_every_list_has_a_french_word() -> None:
    for codes, labels in CODE_LABELS.items():
        assert set(labels) == {str(code) for code in codes}, codes.__name__


def test_an_event_reads_in_french_with_its_dates_in_the_zone() -> None:
    line = history_line(
        TIMER_FIRED,
        {"deadline": "interview_reminder", "due_at": AT.isoformat(), "recipients": ["referent"]},
        None,
        AT,
        "Indian/Reunion",
    )
    assert (line.label, line.by) == ("Échéance atteinte", "Fil rouge")
    assert line.details == [
        ("échéance", "entretien prévu (rappel)"),
        ("prévue le", "2 mars 2026 à 3 h 30"),
        ("destinataires", "référent"),
    ]


def test_a_typed_motive_stays_and_an_erased_one_says_so() -> None:
    typed = history_line("stage_changed", {"reason": "Parti à l'étranger"}, None, AT, None)
    erased = history_line("case_closed", {"reason": {ERASED: "ab12"}}, "referent", AT, None)
    coded = history_line("case_closed", {"outcome": "sans_suite"}, "coordinateur", AT, None)
    assert typed.details == [("motif", "Parti à l'étranger")]
    assert erased.details == [("motif", "(effacé)")] and erased.by == "référent"
    assert coded.details == [("issue", "sans suite")] and coded.by == "coordinateur de plateforme"
