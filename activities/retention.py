"""The purge's activities: find the cases past retention, erase them (database + Temporal)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity
from temporalio.client import Client

from filrouge.core.domain import TimerPolicy
from filrouge.core.retention import (
    HISTORY_DELETION_RETRIED_FOR,
    ErasePersonalDataInput,
    ErasePersonalDataResult,
    ExpireReviewsInput,
    ExpireReviewsResult,
    FindExpiredCasesInput,
    FindExpiredCasesResult,
    PurgeImportFilesInput,
    PurgeImportFilesResult,
    retention_limit,
)
from filrouge.services.retention.erasure import erase_case
from filrouge.store.engine import transaction, wipe_old_versions
from filrouge.store.erasure import ErasureRepository
from filrouge.store.repositories import ReferenceRepository


class RetentionActivities:
    """Built once in the worker with its session factory and Temporal client."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], client: Client) -> None:
        self.sessions, self.client = sessions, client

    async def _per_platform(
        self,
        now: datetime,
        pick: Callable[[ErasureRepository, str, datetime], Awaitable[list[str]]],
        what: str,
        deletes: bool = True,
    ) -> list[str]:
        """`pick` for each platform with its own retention limit, in one transaction; what
        it deleted is then wiped from the database files (`deletes`)."""
        found: list[str] = []
        async with transaction(self.sessions) as session:
            erasures = ErasureRepository(session)
            for platform in await ReferenceRepository(session).platforms():
                limit = retention_limit(TimerPolicy.from_dict(platform.policy or {}), now)
                ids = await pick(erasures, platform.id, limit)
                if ids:
                    activity.logger.info(
                        "Retention: %d %s of platform %s", len(ids), what, platform.id
                    )
                found += ids
        if found and deletes:
            await wipe_old_versions(self.sessions)  # what was deleted leaves the files too
        return found

    @activity.defn(name="find_expired_cases")
    async def find_expired_cases(self, input: FindExpiredCasesInput) -> FindExpiredCasesResult:
        """Each platform's closed cases older than its retention period, not erased yet; then
        the cases erased in the last days, whose history deletion is tried again."""
        expired = await self._per_platform(
            input.now,
            ErasureRepository.closed_before,
            "closed case(s) past the period",
            deletes=False,
        )
        async with transaction(self.sessions) as session:
            since = input.now - HISTORY_DELETION_RETRIED_FOR
            again = await ErasureRepository(session).erased_since(since)
        return FindExpiredCasesResult(expired + [i for i in again if i not in expired])

    @activity.defn(name="purge_import_files")
    async def purge_import_files(self, input: PurgeImportFilesInput) -> PurgeImportFilesResult:
        """Each platform's uploaded lists older than its retention period: file deleted."""
        return PurgeImportFilesResult(
            await self._per_platform(
                input.now, ErasureRepository.purge_import_files, "uploaded list(s) deleted"
            )
        )

    @activity.defn(name="expire_duplicate_reviews")
    async def expire_duplicate_reviews(self, input: ExpireReviewsInput) -> ExpireReviewsResult:
        """Each platform's possible duplicates undecided past its retention period: expired,
        identity erased. Logged as counts and opaque ids only."""
        return ExpireReviewsResult(
            await self._per_platform(
                input.now,
                ErasureRepository.expire_reviews,
                "possible duplicate(s) expired undecided",
            )
        )

    @activity.defn(name="erase_personal_data")
    async def erase_personal_data(self, input: ErasePersonalDataInput) -> ErasePersonalDataResult:
        """Erase one case's personal data and delete its workflow histories (idempotent)."""
        return await erase_case(self.sessions, self.client, input)
