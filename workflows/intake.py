"""One durable workflow per uploaded list: read it, place its rows in batches, report."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from filrouge.core import intake_contracts as contracts
    from filrouge.core.intake_contracts import (
        FinishImportInput,
        ImportCounts,
        ProcessImportBatchInput,
        StageImportInput,
    )
    from filrouge.core.retry import DB_RETRY, MAIL_RETRY


def import_workflow_id(import_id: str) -> str:
    return f"import-{import_id}"


@dataclass
class ImportWorkflowInput:
    import_id: str
    batch_size: int = 250
    parallel_batches: int = 4
    start_concurrency: int = 32
    search_attributes: bool = True


@workflow.defn
class ImportWorkflow:
    """Staging (parse and validate), batches of cases started with bounded concurrency, report."""

    def __init__(self) -> None:
        self._batches_done = 0
        self._batches = 0

    @workflow.run
    async def run(self, input: ImportWorkflowInput) -> ImportCounts:
        staged = await workflow.execute_activity(
            contracts.stage_import,
            StageImportInput(input.import_id, input.batch_size),
            start_to_close_timeout=timedelta(minutes=10),
            heartbeat_timeout=timedelta(seconds=60),
            retry_policy=DB_RETRY,
        )
        finish = FinishImportInput(input.import_id)
        if staged.error is None:
            self._batches = staged.batches
            await self._place_all(input)
        counts = await workflow.execute_activity(
            contracts.finish_import,
            finish,
            start_to_close_timeout=timedelta(seconds=60),
            retry_policy=DB_RETRY,
        )
        if staged.error is None:
            await workflow.execute_activity(
                contracts.send_import_summary,
                finish,
                start_to_close_timeout=timedelta(seconds=60),
                schedule_to_close_timeout=timedelta(days=2),
                retry_policy=MAIL_RETRY,
            )
        return counts

    async def _place_all(self, input: ImportWorkflowInput) -> None:
        """Every batch once; a few at a time, each retried until it is placed and started."""
        semaphore = asyncio.Semaphore(max(1, input.parallel_batches))

        async def one(batch: int) -> None:
            async with semaphore:
                await workflow.execute_activity(
                    contracts.process_import_batch,
                    ProcessImportBatchInput(
                        input.import_id,
                        batch,
                        search_attributes=input.search_attributes,
                        start_concurrency=input.start_concurrency,
                    ),
                    start_to_close_timeout=timedelta(minutes=10),
                    heartbeat_timeout=timedelta(seconds=30),
                    retry_policy=DB_RETRY,
                )
                self._batches_done += 1

        await asyncio.gather(*(one(batch) for batch in range(self._batches)))

    @workflow.query
    def progress(self) -> tuple[int, int]:
        """Batches done and batches in all."""
        return self._batches_done, self._batches
