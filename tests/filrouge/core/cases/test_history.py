"""A case's history reads in French: every event kind, every code, dates in the zone."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from filrouge.core.audit import ERASED, ERASED_KIND
from filrouge.core.cases.history import DESCRIPTIONS, describe
from filrouge.core.cases.pathway import TIMER_FIRED
from filrouge.core.cases.steps import STEPS
from filrouge.core.labels import CODE_LABELS

AT = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)


@dataclass
class Event:
    kind: str
    data: dict[str, Any] = field(default_factory=dict)
    occurred_at: datetime = AT
    actor_id: str | None = None
    actor_role: str | None = None


def test_every_event_kind_has_a_french_wording() -> None:
    recorded = {d.audit for d in STEPS} | {"case_identified", "stage_changed", "routing_needed"}
    recorded |= {TIMER_FIRED, ERASED_KIND, "person_rectified"}
    recorded |= {"email_sent", "email_failed", "email_no_recipient", "email_undelivered"}
    assert sorted(recorded - set(DESCRIPTIONS)) == []


def test_every_code_of_every_list_has_a_french_word() -> None:
    for codes, labels in CODE_LABELS.items():
        assert set(labels) == {str(code) for code in codes}, codes.__name__


def test_an_event_reads_in_french_with_its_dates_in_the_zone() -> None:
    data = {"at": AT.isoformat(), "place": "CIO Saint-Denis"}
    scheduled = Event("interview_scheduled", data, actor_id="u1", actor_role="referent")
    fired = Event(TIMER_FIRED, {"deadline": "interview_reminder", "recipients": ["referent"]})

    entry = describe(scheduled, {"u1": "Claire Martin"}, "Indian/Reunion")

    assert entry.text == "Entretien planifié le 2 mars 2026 à 3 h 30, CIO Saint-Denis"
    assert entry.who == "Claire Martin (référent)"
    assert describe(fired, {}, None).text == (
        "Échéance atteinte : entretien prévu (rappel) (rappel au référent)"
    )


def test_an_erased_text_says_so() -> None:
    closed = Event("case_closed", {"outcome": "autre", "reason": {ERASED: "ab12"}})
    assert describe(closed, {}, None).text == "Dossier clôturé : autre — (effacé)"
