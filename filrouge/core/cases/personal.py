"""The personal data of a case's audit events, declared once: which fields hold text that a
person typed (a motive, a comment, a place, a commune, a solution's structure) or that a
server wrote about them (an SMTP error).

The audit chain seals these fields (its hash covers a keyed digest of them, `core.audit`) and
the erasure replaces them by that digest; every other field is a code, an id, a date or a
count, and stays. A step declares its own (`StepDeclaration.personal`); the events written
outside the steps are declared here.
"""

from __future__ import annotations

from dataclasses import dataclass

from filrouge.core.cases.steps import STEPS
from filrouge.core.cases.transitions import StageReason
from filrouge.core.domain import ContactOutcome, Outcome


@dataclass(frozen=True)
class PersonalField:
    """A field of an event's data (dotted path; a list is walked item by item)."""

    path: str
    # Values that are the code's own words (kept as they are); any other text is personal.
    codes: frozenset[str] = frozenset()


# `stage_changed.reason` is a code, except the motive typed when closing with « autre ».
STAGE_REASON_CODES: frozenset[str] = frozenset(
    str(code) for codes in (StageReason, Outcome, ContactOutcome) for code in codes
)

PERSONAL_EVENT_FIELDS: dict[str, tuple[PersonalField, ...]] = {
    **{d.audit: tuple(PersonalField(p) for p in d.personal) for d in STEPS if d.personal},
    "stage_changed": (PersonalField("reason", STAGE_REASON_CODES),),
    "email_undelivered": (PersonalField("reason"),),
    "email_failed": (PersonalField("reason"),),
}
"""Event kind -> its personal fields. Events of kinds not listed hold none."""
