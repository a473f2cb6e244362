"""A workflow that does nothing: the yardstick of how fast this Temporal server starts one."""

from __future__ import annotations

from temporalio import workflow


@workflow.defn(name="BenchNoopWorkflow")
class NoopWorkflow:
    """Completes on its first workflow task."""

    @workflow.run
    async def run(self) -> None:
        return None
