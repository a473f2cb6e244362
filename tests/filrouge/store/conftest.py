"""Fixtures of the store's tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.conftest import BACKENDS, _drop_postgres_database, _postgres_database


@pytest.fixture(params=BACKENDS)
async def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A database of its own, not migrated yet (to write rows as an old revision knew them)."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
        return
    created = await _postgres_database()
    if created is None:
        pytest.skip("PostgreSQL tests skipped: no server answers")
    name, url = created
    yield url
    await _drop_postgres_database(name)
