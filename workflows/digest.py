"""The regional pilots' daily digest of stuck cases: counts per platform, one mail per Région."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from filrouge.core import digest
    from filrouge.core.digest import (
        PilotDigestInput,
        PilotDigestResult,
        PlanPilotDigestsInput,
        SendPilotDigestInput,
    )
    from filrouge.core.retry import DB_RETRY, MAIL_RETRY

# A digest not delivered within this window waits for the next day's run (it stays pending).
SEND_WINDOW = timedelta(hours=12)


@workflow.defn
class PilotDigestWorkflow:
    """Started every day by the `pilot-digest` schedule."""

    @workflow.run
    async def run(self, input: PilotDigestInput) -> PilotDigestResult:
        planned = await workflow.execute_activity(
            digest.plan_pilot_digests,
            PlanPilotDigestsInput(now=workflow.now()),
            start_to_close_timeout=timedelta(minutes=5),
            retry_policy=DB_RETRY,
        )
        result = PilotDigestResult()
        for digest_id in planned.digest_ids:
            try:
                await workflow.execute_activity(
                    digest.send_pilot_digest,
                    SendPilotDigestInput(digest_id),
                    start_to_close_timeout=timedelta(seconds=60),
                    schedule_to_close_timeout=SEND_WINDOW,
                    retry_policy=MAIL_RETRY,
                )
            except ActivityError:
                result.not_sent.append(digest_id)
                continue
            result.sent.append(digest_id)
        return result
