"""Retention: which closed cases have outlived their platform's retention period, and the
contracts of the purge workflow's activities (implemented in `activities/retention.py`)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from temporalio import activity

from filrouge.core.cases.lifecycle import RECORD_SUMMONS
from filrouge.core.cases.pathway import TIMER_FIRED, DeadlineKind, obligation_until
from filrouge.core.domain import TimerPolicy
from filrouge.core.durations import parse_duration

PURGE_SCHEDULE_ID = "retention-purge"
# A case erased less than this long ago goes through the purge again, so that a history whose
# deletion failed at the erasure (Temporal unreachable for an erasure on request) is deleted.
HISTORY_DELETION_RETRIED_FOR = timedelta(days=7)


def retention_limit(policy: TimerPolicy, now: datetime) -> datetime:
    """Cases closed before this instant are past the platform's retention period."""
    return parse_duration(policy.retention).before(now)


def obligation_running(
    events: Iterable[tuple[str, dict[str, Any]]], birth_date: date | None, today: date
) -> date | None:
    """The 18th birthday when a minor's obligation de formation summons is still running.

    `events` are the case's audit (kind, data) pairs in order. They are read as the case
    workflow wrote them: the summons step (`RECORD_SUMMONS`) sets the case's `summons_on`, the
    `OBLIGATION_ENDS` timer's effect clears it; the rule itself is `pathway.obligation_until`.
    """
    summons_on: date | None = None
    for kind, data in events:
        if kind == RECORD_SUMMONS.audit:
            summons_on = date.fromisoformat(data["on"]) if data.get("on") else today
        elif kind == TIMER_FIRED and data.get("deadline") == DeadlineKind.OBLIGATION_ENDS.value:
            summons_on = None
    return obligation_until(summons_on, birth_date, today)


@dataclass
class PurgeInput:
    """Empty: the purge runs at the workflow's own time (a field can be added compatibly)."""


@dataclass
class PurgeResult:
    erased: list[str] = field(default_factory=list)
    import_files: list[str] = field(default_factory=list)
    expired_reviews: list[str] = field(default_factory=list)


@dataclass
class FindExpiredCasesInput:
    now: datetime


@dataclass
class FindExpiredCasesResult:
    case_ids: list[str] = field(default_factory=list)


@dataclass
class ErasePersonalDataInput:
    case_id: str
    motive: str = "retention"
    actor_id: str | None = None
    actor_role: str | None = None


@dataclass
class ErasePersonalDataResult:
    case_id: str
    erased: bool
    history_deleted: bool


@dataclass
class PurgeImportFilesInput:
    now: datetime


@dataclass
class PurgeImportFilesResult:
    import_ids: list[str] = field(default_factory=list)


@dataclass
class ExpireReviewsInput:
    now: datetime


@dataclass
class ExpireReviewsResult:
    review_ids: list[str] = field(default_factory=list)


@activity.defn(name="find_expired_cases")
async def find_expired_cases(input: FindExpiredCasesInput) -> FindExpiredCasesResult:
    """Closed cases past their platform's retention period, not erased yet."""
    raise NotImplementedError("registered by the worker")


@activity.defn(name="erase_personal_data")
async def erase_personal_data(input: ErasePersonalDataInput) -> ErasePersonalDataResult:
    """Erase one case's personal data and delete its Temporal history (idempotent)."""
    raise NotImplementedError("registered by the worker")


@activity.defn(name="purge_import_files")
async def purge_import_files(input: PurgeImportFilesInput) -> PurgeImportFilesResult:
    """Delete the uploaded lists older than their platform's retention period (idempotent)."""
    raise NotImplementedError("registered by the worker")


@activity.defn(name="expire_duplicate_reviews")
async def expire_duplicate_reviews(input: ExpireReviewsInput) -> ExpireReviewsResult:
    """Possible duplicates left undecided past their platform's retention period: marked
    expired and their identity erased (idempotent)."""
    raise NotImplementedError("registered by the worker")
