"""The purge's activities: find the cases past retention, erase them (database + Temporal)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity
from temporalio.client import Client

from filrouge.db.engine import transaction
from filrouge.db.erasure import ErasureRepository
from filrouge.db.repositories import ReferenceRepository
from filrouge.domain import TimerPolicy
from filrouge.erasure import erase_case
from filrouge.retention import (
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


class RetentionActivities:
    """Built once in the worker with its session factory and Temporal client."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], client: Client) -> None:
        self.sessions, self.client = sessions, client

    @activity.defn(name="find_expired_cases")
    async def find_expired_cases(self, input: FindExpiredCasesInput) -> FindExpiredCasesResult:
        """Each platform's closed cases older than its retention period, not erased yet."""
        found: list[str] = []
        async with transaction(self.sessions) as session:
            erasures = ErasureRepository(session)
            for platform in await ReferenceRepository(session).platforms():
                policy = TimerPolicy.from_dict(platform.policy or {})
                limit = retention_limit(policy, input.now)
                found += await erasures.closed_before(platform.id, limit)
        return FindExpiredCasesResult(found)

    @activity.defn(name="purge_import_files")
    async def purge_import_files(self, input: PurgeImportFilesInput) -> PurgeImportFilesResult:
        """Each platform's uploaded lists older than its retention period: file deleted."""
        purged: list[str] = []
        async with transaction(self.sessions) as session:
            erasures = ErasureRepository(session)
            for platform in await ReferenceRepository(session).platforms():
                policy = TimerPolicy.from_dict(platform.policy or {})
                limit = retention_limit(policy, input.now)
                purged += await erasures.purge_import_files(platform.id, limit)
        return PurgeImportFilesResult(purged)

    @activity.defn(name="expire_duplicate_reviews")
    async def expire_duplicate_reviews(self, input: ExpireReviewsInput) -> ExpireReviewsResult:
        """Each platform's possible duplicates undecided past its retention period: expired,
        identity erased. Logged as counts and opaque ids only."""
        expired: list[str] = []
        async with transaction(self.sessions) as session:
            erasures = ErasureRepository(session)
            for platform in await ReferenceRepository(session).platforms():
                policy = TimerPolicy.from_dict(platform.policy or {})
                limit = retention_limit(policy, input.now)
                ids = await erasures.expire_reviews(platform.id, limit)
                if ids:
                    activity.logger.info(
                        "Retention: %d possible duplicate(s) of platform %s expired undecided",
                        len(ids),
                        platform.id,
                    )
                expired += ids
        return ExpireReviewsResult(expired)

    @activity.defn(name="erase_personal_data")
    async def erase_personal_data(self, input: ErasePersonalDataInput) -> ErasePersonalDataResult:
        """Erase one case's personal data and delete its workflow histories (idempotent)."""
        return await erase_case(self.sessions, self.client, input)
