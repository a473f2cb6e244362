"""Revision 0520 re-seals the audit chains recorded in the old format: every chain still
verifies, a case not erased gets its key, an erased one loses its guessable digests and the
texts the old rule missed."""

from __future__ import annotations

import asyncio
import hashlib
import importlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy import select

from filrouge.store.audit_repository import AuditRepository
from filrouge.store.engine import make_engine, make_sessionmaker, transaction
from filrouge.store.migrate import alembic_config, upgrade
from filrouge.store.models import Case, CaseKey
from tests.conftest import BACKENDS, _drop_postgres_database, _postgres_database

revision = importlib.import_module("migrations.versions.0530_case_keys_audit_seals")
AT = datetime(2025, 3, 4, 10, 0, tzinfo=UTC)


# The tables as they were before the revision (the live models have moved on since).
PLATFORMS = sa.table(
    "platforms",
    *(sa.column(c) for c in ("id", "name", "region")),
    sa.column("territory", sa.JSON),
    sa.column("policy", sa.JSON),
    sa.column("created_at", sa.DateTime(timezone=True)),
)
CASES = sa.table(
    "cases",
    *(
        sa.column(c)
        for c in (
            "id",
            "platform_id",
            "source",
            "stage",
            "failed_attempts",
            "state_version",
            "audit_seq",
            "audit_head",
        )
    ),
    sa.column("identified_at", sa.DateTime(timezone=True)),
    sa.column("updated_at", sa.DateTime(timezone=True)),
)
EVENT_COLUMNS = ("case_id", "seq", "key", "kind", "actor_id", "actor_role", "prev_hash", "hash")
EVENTS = sa.table(
    "audit_events",
    *(sa.column(c) for c in EVENT_COLUMNS),
    sa.column("occurred_at", sa.DateTime(timezone=True)),
    sa.column("data", sa.JSON),
)


def old_chain(case_id: str, events: list[tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
    """Rows as the old code wrote them (the hash covering SHA-256 digests of 'free' texts)."""
    rows, prev = [], revision.GENESIS
    for seq, (kind, data) in enumerate(events, start=1):
        row = {
            "case_id": case_id,
            "seq": seq,
            "key": f"k{seq}",
            "kind": kind,
            "occurred_at": AT + timedelta(minutes=seq),
            "actor_id": "u1",
            "actor_role": "referent",
            "data": data,
            "prev_hash": prev,
        }
        sealed = revision._v1_sealed(data, case_id, row["key"])
        row["hash"] = prev = revision._hash(prev, SimpleNamespace(**row), sealed)
        rows.append(row)
    return rows


def case_row(case_id: str, chain: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": case_id,
        "platform_id": "psad-m",
        "source": "siei",
        "identified_at": AT,
        "stage": "cloture",
        "failed_attempts": 0,
        "state_version": 1,
        "audit_seq": len(chain),
        "audit_head": chain[-1]["hash"],
        "updated_at": AT,
    }


LIVE = [
    ("case_closed", {"outcome": "autre", "reason": "incarceration"}),
    ("stage_changed", {"from": "contact", "to": "cloture", "reason": "incarceration"}),
    ("solutions_proposed", {"solutions": [{"type": "e2c", "structure": "e2c albi"}]}),
]
OLD_DIGEST = hashlib.sha256(b"c-erased|k1|place|Chez Lea").hexdigest()
ERASED_CASE = [
    ("interview_scheduled", {"at": "2025-03-05T10:00:00+00:00", "place": {"efface": OLD_DIGEST}}),
    ("contact_outcome", {"outcome": "demenage", "new_commune": "albi"}),
    ("solutions_proposed", {"solutions": [{"type": "e2c", "structure": "e2c albi"}]}),
    ("personal_data_erased", {"motive": "retention"}),
]


@pytest.fixture(params=BACKENDS)
async def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A database of its own, not migrated yet."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
        return
    created = await _postgres_database()
    if created is None:
        pytest.skip("PostgreSQL tests skipped: no server answers")
    name, url = created
    yield url
    await _drop_postgres_database(name)


async def test_old_chains_are_resealed_and_still_verify(empty_database: str) -> None:
    url = empty_database
    await asyncio.to_thread(command.upgrade, alembic_config(url), revision.down_revision)
    live, erased = old_chain("c-live", LIVE), old_chain("c-erased", ERASED_CASE)
    platform = {"id": "psad-m", "name": "PSAD", "region": "", "territory": {}, "policy": {}}
    engine = make_engine(url)
    async with engine.begin() as connection:
        await connection.execute(sa.insert(PLATFORMS), [platform | {"created_at": AT}])
        await connection.execute(sa.insert(CASES), [case_row("c-live", live)])
        await connection.execute(sa.insert(CASES), [case_row("c-erased", erased)])
        await connection.execute(sa.insert(EVENTS), [*live, *erased])
    await engine.dispose()

    await asyncio.to_thread(upgrade, url)

    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    async with transaction(sessions) as session:
        audit = AuditRepository(session)
        for case_id in ("c-live", "c-erased"):
            case = await session.get(Case, case_id)
            assert case is not None
            assert (await audit.verify(case)).ok, case_id
        keys = list((await session.execute(select(CaseKey.case_id))).scalars())
        live_texts = str([row.data for row in await audit.history("c-live")])
        erased_texts = str([row.data for row in await audit.history("c-erased")])
    await engine.dispose()
    assert keys == ["c-live"]  # an erased case has no key to give back
    assert live_texts.count("incarceration") == 2 and "e2c albi" in live_texts  # kept until erased
    for gone in ("albi", OLD_DIGEST):
        assert gone not in erased_texts
    assert "'demenage'" in erased_texts and "'e2c'" in erased_texts  # the codes stay
