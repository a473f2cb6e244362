"""Wait on a condition instead of sleeping a fixed time."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from filrouge.core.cases.contracts import case_workflow_id

T = TypeVar("T")


async def eventually(
    probe: Callable[[], Awaitable[T]], within: float = 20.0, every: float = 0.05
) -> T:
    """Call `probe` until it returns something truthy; fail after `within` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not (found := await probe()):
        if loop.time() > deadline:
            raise AssertionError(f"still {found!r} after {within} s")
        await asyncio.sleep(every)
    return found


async def history_deleted(client: Client, case_id: str, within: float = 60.0) -> None:
    """Wait until the case's Temporal history is deleted (an erasure or the purge asks the
    server to, which does it in the background); fail after `within` seconds."""

    async def gone() -> bool:
        try:
            await client.get_workflow_handle(case_workflow_id(case_id)).describe()
        except RPCError as exc:
            if exc.status == RPCStatusCode.NOT_FOUND:
                return True
            raise
        return False

    await eventually(gone, within=within, every=0.1)
