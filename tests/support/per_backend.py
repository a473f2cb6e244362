"""What each backend's tests share for the whole session (databases, apps, workers)."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack
from typing import Any, TypeVar

T = TypeVar("T")


class PerBackend:
    """What each backend's tests share for the whole session, made on first use and closed
    once at the end of the session.

    `database_url` is a parametrized session fixture, and pytest rebuilds such a fixture (and
    all that depends on it) each time the parameter changes: with `--dist loadfile` a worker
    runs a file's SQLite tests, then its PostgreSQL tests, then the next file's SQLite tests,
    so every file got fresh databases, engines, apps and workers. Kept here, they are made
    once per backend and process; the parametrized fixtures only look them up.
    """

    def __init__(self) -> None:
        self._stack = AsyncExitStack()
        self._made: dict[tuple[str, str], Any] = {}

    async def get(
        self, key: tuple[str, str], make: Callable[[], AbstractAsyncContextManager[T]]
    ) -> T:
        """The value of `make()`'s context for `key`, entered the first time it is asked for."""
        if key not in self._made:
            self._made[key] = await self._stack.enter_async_context(make())
        return self._made[key]  # type: ignore[no-any-return]

    async def aclose(self) -> None:
        """Leave every context, the last made first."""
        await self._stack.aclose()
