"""Platform indicators (DOMAIN.md, 'Indicators'), computed from non-personal facts only.

The inputs are the read model's columns (source, stage, outcome, dates) and the kind, time
and coded fields of audit events: no identity, contact, free text or note is ever read, so
the figures are the same before and after personal data is erased.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from statistics import median
from typing import Any

from filrouge.core.domain import AttemptResult, ContactOutcome, Stage

# The audit event kinds the indicators read (their coded fields only).
EVENT_KINDS = (
    "contact_attempt",
    "contact_outcome",
    "interview_recorded",
    "solutions_proposed",
    "entry_confirmed",
    "stage_changed",
)


@dataclass(frozen=True)
class Fact:
    """One audit event reduced to what the indicators use."""

    kind: str
    at: datetime
    data: dict[str, Any]


@dataclass
class CaseFacts:
    """One case: read model columns and its events in order."""

    platform_id: str
    source: str
    stage: str
    outcome: str | None
    identified_at: datetime
    events: list[Fact] = field(default_factory=list)


@dataclass
class Milestones:
    """When a case first reached each milestone of the pathway, and what it became."""

    first_attempt: datetime | None = None
    reached: bool = False
    interview: datetime | None = None
    solution: datetime | None = None
    solution_types: list[str] = field(default_factory=list)
    unreachable: bool = False
    refused: bool = False
    maintained: bool = False


def milestones(case: CaseFacts) -> Milestones:
    """Walk a case's events once and note its milestones."""
    m, proposed = Milestones(), []
    for e in case.events:
        if e.kind == "contact_attempt":
            m.first_attempt = m.first_attempt or e.at
            m.reached = m.reached or e.data.get("result") == AttemptResult.JOINT
        elif e.kind == "contact_outcome":
            m.reached = True
            m.refused = m.refused or e.data.get("outcome") == ContactOutcome.REFUS
            if e.data.get("outcome") == ContactOutcome.DEJA_EN_SOLUTION and m.solution is None:
                m.solution, m.solution_types = e.at, [str(e.data.get("solution_type"))]
        elif e.kind == "interview_recorded" and e.data.get("held"):
            m.interview = m.interview or e.at
        elif e.kind == "solutions_proposed":
            proposed = sorted({str(s.get("type")) for s in e.data.get("solutions", [])})
        elif e.kind == "entry_confirmed" and e.data.get("entered") and m.solution is None:
            m.solution, m.solution_types = e.at, proposed
        elif e.kind == "stage_changed":
            m.unreachable = m.unreachable or e.data.get("to") == Stage.INJOIGNABLE.value
            m.maintained = m.maintained or e.data.get("reason") == "last_follow_up_maintained"
    return m


def _days(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None or end < start:
        return None
    return (end - start).total_seconds() / 86400


def _median(values: Iterable[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return round(median(present), 1) if present else None


def _rate(count: int, total: int) -> float | None:
    return round(count / total, 3) if total else None


def compute(platform_id: str, cases: list[CaseFacts]) -> dict[str, Any]:
    """The indicators of a set of cases (one platform, or all of them)."""
    marks = [(c, milestones(c)) for c in cases]
    total = len(cases)
    solution_types: Counter[str] = Counter()
    for _, m in marks:
        solution_types.update(m.solution_types)
    closed = [c for c in cases if c.stage == Stage.CLOTURE.value]
    unreachable = sum(1 for _, m in marks if m.unreachable)
    refused = sum(1 for _, m in marks if m.refused)
    return {
        "platform_id": platform_id,
        "identified": total,
        "followed": total - len(closed),
        "by_stage": dict(sorted(Counter(c.stage for c in cases).items())),
        "reached": sum(1 for _, m in marks if m.reached),
        "interviewed": sum(1 for _, m in marks if m.interview),
        "in_solution": sum(1 for _, m in marks if m.solution),
        "maintained_6_months": sum(1 for _, m in marks if m.maintained),
        "closed_by_outcome": dict(sorted(Counter(c.outcome or "" for c in closed).items())),
        "by_source": dict(sorted(Counter(c.source for c in cases).items())),
        "by_solution_type": dict(sorted(solution_types.items())),
        "unreachable": unreachable,
        "unreachable_rate": _rate(unreachable, total),
        "refused": refused,
        "refusal_rate": _rate(refused, total),
        "median_days": {
            "identification_to_first_contact": _median(
                _days(c.identified_at, m.first_attempt) for c, m in marks
            ),
            "first_contact_to_interview": _median(
                _days(m.first_attempt, m.interview) for _, m in marks
            ),
            "interview_to_solution": _median(_days(m.interview, m.solution) for _, m in marks),
            "identification_to_solution": _median(
                _days(c.identified_at, m.solution) for c, m in marks
            ),
        },
    }
