"""The daily purge: personal data of cases closed longer than the retention period is erased."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from filrouge.core import retention
    from filrouge.core.retention import (
        ErasePersonalDataInput,
        ExpireReviewsInput,
        FindExpiredCasesInput,
        PurgeImportFilesInput,
        PurgeInput,
        PurgeResult,
    )
    from filrouge.core.retry import PURGE_DB_RETRY


@workflow.defn
class PurgeWorkflow:
    """Started every day by the `retention-purge` schedule."""

    @workflow.run
    async def run(self, input: PurgeInput) -> PurgeResult:
        expired = await workflow.execute_activity(
            retention.find_expired_cases,
            FindExpiredCasesInput(now=workflow.now()),
            start_to_close_timeout=timedelta(minutes=5),
            retry_policy=PURGE_DB_RETRY,
        )
        result = PurgeResult()
        for case_id in expired.case_ids:
            erased = await workflow.execute_activity(
                retention.erase_personal_data,
                ErasePersonalDataInput(case_id=case_id, motive="retention"),
                start_to_close_timeout=timedelta(minutes=2),
                retry_policy=PURGE_DB_RETRY,
            )
            if erased.erased:
                result.erased.append(case_id)
        if workflow.patched("purge-import-files"):
            # An uploaded list names every young person of it: it goes with the same period.
            files = await workflow.execute_activity(
                retention.purge_import_files,
                PurgeImportFilesInput(now=workflow.now()),
                start_to_close_timeout=timedelta(minutes=5),
                retry_policy=PURGE_DB_RETRY,
            )
            result.import_files = files.import_ids
        if workflow.patched("purge-expired-reviews"):
            # A possible duplicate nobody decided on still names a young person.
            reviews = await workflow.execute_activity(
                retention.expire_duplicate_reviews,
                ExpireReviewsInput(now=workflow.now()),
                start_to_close_timeout=timedelta(minutes=5),
                retry_policy=PURGE_DB_RETRY,
            )
            result.expired_reviews = reviews.review_ids
        return result
