"""The purge's activities: find the cases past retention, erase them (database + Temporal)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from itertools import groupby
from operator import itemgetter

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

# (platform id, id) of what a retention pass found.
Found = tuple[str, str]
# Platforms named in one query at most (bound parameters have limits).
PLATFORMS_PER_QUERY = 500


class RetentionActivities:
    """Built once in the worker with its session factory and Temporal client."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], client: Client) -> None:
        self.sessions, self.client = sessions, client

    async def _per_platform(
        self,
        now: datetime,
        pick: Callable[[ErasureRepository, Sequence[str], datetime], Awaitable[list[Found]]],
        what: str,
        deletes: bool = True,
    ) -> list[str]:
        """`pick` for each platform with its own retention limit, in one transaction; what
        it deleted is then wiped from the database files (`deletes`).

        The platforms sharing a limit (few distinct values) are asked together: the number
        of queries does not grow with the number of platforms. Found ids keep the order
        of one pass per platform (by platform, then id)."""
        found: list[Found] = []
        async with transaction(self.sessions) as session:
            erasures = ErasureRepository(session)
            by_limit: dict[datetime, list[str]] = defaultdict(list)
            for platform_id, stored in (
                await ReferenceRepository(session).stored_policies()
            ).items():
                by_limit[retention_limit(TimerPolicy.from_dict(stored), now)].append(platform_id)
            for limit, platform_ids in sorted(by_limit.items()):
                for start in range(0, len(platform_ids), PLATFORMS_PER_QUERY):
                    found += await pick(
                        erasures, platform_ids[start : start + PLATFORMS_PER_QUERY], limit
                    )
        found.sort()
        for platform_id, ids in groupby(found, key=itemgetter(0)):
            activity.logger.info(
                "Retention: %d %s of platform %s", len(list(ids)), what, platform_id
            )
        if found and deletes:
            await wipe_old_versions(self.sessions)  # what was deleted leaves the files too
        return [id for _, id in found]

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
