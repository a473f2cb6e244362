"""Wait on a condition instead of sleeping a fixed time."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

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
