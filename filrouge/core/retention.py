"""Retention: which closed cases have outlived their platform's retention period, and the
contracts of the purge workflow's activities (implemented in `activities/retention.py`)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from temporalio import activity

from filrouge.core.domain import TimerPolicy
from filrouge.core.durations import age_on, birthday, parse_duration

PURGE_SCHEDULE_ID = "retention-purge"


def retention_limit(policy: TimerPolicy, now: datetime) -> datetime:
    """Cases closed before this instant are past the platform's retention period."""
    return parse_duration(policy.retention).before(now)


def obligation_running(
    events: Iterable[tuple[str, dict[str, Any]]], birth_date: date | None, today: date
) -> date | None:
    """The 18th birthday when a minor's obligation de formation summons is still running.

    `events` are the case's audit (kind, data) pairs in order: a summons starts the legal
    clock, the `obligation_ends` timer (18th birthday) stops it.
    """
    summoned = False
    for kind, data in events:
        if kind == "obligation_summons":
            summoned = True
        elif kind == "timer_fired" and data.get("deadline") == "obligation_ends":
            summoned = False
    if not summoned or birth_date is None or age_on(birth_date, today) >= 18:
        return None
    return birthday(birth_date, 18)


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
