"""Erase one case everywhere: personal data in the database, then its Temporal histories."""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.workflowservice.v1 import DeleteWorkflowExecutionRequest
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from filrouge.core.cases.contracts import case_workflow_id
from filrouge.core.retention import ErasePersonalDataInput, ErasePersonalDataResult
from filrouge.store.engine import transaction, wipe_old_versions
from filrouge.store.erasure import ErasureRepository

log = logging.getLogger(__name__)


async def erase_case(
    sessions: async_sessionmaker[AsyncSession],
    client: Client,
    input: ErasePersonalDataInput,
    *,
    history_may_wait: bool = False,
) -> ErasePersonalDataResult:
    """Idempotent: the database part runs once (recorded in the audit chain), and a history
    already deleted is not an error, so a retried call erases nothing twice.

    `history_may_wait`: when Temporal cannot delete the history now, say so in the result
    instead of raising; the purge tries again for `HISTORY_DELETION_RETRIED_FOR`.
    """
    actor = (input.actor_id, input.actor_role or "") if input.actor_id else None
    async with transaction(sessions) as session:
        done = await ErasureRepository(session).erase(input.case_id, input.motive, actor)
    if not done.already_erased:
        await wipe_old_versions(sessions)
    try:
        deleted = await delete_history(client, input.case_id)
    except RPCError:
        if not history_may_wait:
            raise
        log.warning("History of case %s not deleted now: the purge will retry", input.case_id)
        deleted = False
    return ErasePersonalDataResult(
        case_id=input.case_id, erased=not done.already_erased, history_deleted=deleted
    )


async def delete_history(client: Client, case_id: str) -> bool:
    """Ask Temporal to delete the case workflow's runs (the current one and those it continued
    from); the server deletes asynchronously. True when something was there to delete."""
    workflow_id = case_workflow_id(case_id)
    run_ids = [""]  # "": the current run
    async for execution in client.list_workflows(f'WorkflowId = "{workflow_id}"'):
        run_ids.append(execution.run_id)
    deleted = False
    for run_id in run_ids:
        try:
            await client.workflow_service.delete_workflow_execution(
                DeleteWorkflowExecutionRequest(
                    namespace=client.namespace,
                    workflow_execution=WorkflowExecution(workflow_id=workflow_id, run_id=run_id),
                )
            )
            deleted = True
        except RPCError as exc:
            if exc.status != RPCStatusCode.NOT_FOUND:
                raise
    return deleted
