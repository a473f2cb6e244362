"""Start case workflows and send them steps (re-identifications many at once), never twice.

Called outside any database transaction. Starting uses the case's workflow id with
USE_EXISTING, and a step is sent with a deterministic update id, so running the same
launch again after a crash changes nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from temporalio.client import Client, WorkflowHandle
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.service import RPCError, RPCStatusCode

from filrouge.core.cases.contracts import case_workflow_id
from filrouge.core.cases.declaration import Step
from filrouge.core.cases.registry import declaration_of
from filrouge.core.cases.steps import ReidentifyInput
from filrouge.core.domain import StartCaseInput, StepResult
from workflows.case import CaseWorkflow, CaseWorkflowInput

T = TypeVar("T")


@dataclass
class Reidentification:
    case_id: str
    step: ReidentifyInput
    update_id: str


async def send_step(handle: WorkflowHandle[Any, Any], step: Step, update_id: str) -> StepResult:
    """Send a human step to a case workflow: the update named by the step's declaration
    (one handler of the workflow takes them all), `update_id` making it idempotent."""
    update = declaration_of(step).update
    result: StepResult = await handle.execute_update(
        update, step, id=update_id, result_type=StepResult
    )
    return result


async def bounded(
    items: Sequence[T], action: Callable[[T], Awaitable[None]], concurrency: int
) -> None:
    """Run `action` on every item, at most `concurrency` at a time."""
    semaphore = asyncio.Semaphore(max(1, concurrency))

    async def one(item: T) -> None:
        async with semaphore:
            await action(item)

    await asyncio.gather(*(one(item) for item in items))


async def start_cases(
    client: Client,
    task_queue: str,
    starts: Sequence[StartCaseInput],
    *,
    search_attributes: bool,
    concurrency: int,
) -> None:
    """Start the case workflows (an already running one is left as it is)."""

    async def start(start: StartCaseInput) -> None:
        await client.start_workflow(
            CaseWorkflow.run,
            CaseWorkflowInput(start=start, search_attributes=search_attributes),
            id=case_workflow_id(start.case_id),
            task_queue=task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        )

    await bounded(starts, start, concurrency)


async def reidentify_cases(
    client: Client, items: Sequence[Reidentification], *, concurrency: int
) -> list[Reidentification]:
    """Append a re-identification to each case (a closed or unreachable case reopens).

    Returns the items whose case workflow has ended (retention reached, history deleted):
    no step can reach them, so the caller opens a new case instead of retrying forever.
    """
    ended: list[Reidentification] = []

    async def send(item: Reidentification) -> None:
        handle = client.get_workflow_handle(case_workflow_id(item.case_id))
        try:
            await send_step(handle, item.step, item.update_id)
        except RPCError as exc:
            # The server answers NOT_FOUND for a run that has completed or been deleted.
            if exc.status != RPCStatusCode.NOT_FOUND:
                raise
            ended.append(item)

    await bounded(items, send, concurrency)
    return ended
