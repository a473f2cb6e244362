"""Revision 0530 re-seals the audit chains recorded in the old format: every chain still
verifies, a case not erased gets its key, an erased one loses its guessable digests and the
texts the old rule missed."""

from __future__ import annotations

import asyncio
import hashlib
import importlib
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa
from alembic import command
from sqlalchemy import select

from filrouge.store.audit_repository import AuditRepository
from filrouge.store.engine import make_engine, make_sessionmaker, transaction
from filrouge.store.migrate import alembic_config, upgrade
from filrouge.store.models import Case, CaseKey
from tests.filrouge.store.old_schema import (
    CASES,
    EVENTS,
    PLATFORMS,
    closed_case_row,
    platform_row,
)

revision = importlib.import_module("migrations.versions.0530_case_keys_audit_seals")
AT = datetime(2025, 3, 4, 10, 0, tzinfo=UTC)


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


async def test_old_chains_are_resealed_and_still_verify(empty_database: str) -> None:
    url = empty_database
    await asyncio.to_thread(command.upgrade, alembic_config(url), revision.down_revision)
    live, erased = old_chain("c-live", LIVE), old_chain("c-erased", ERASED_CASE)
    engine = make_engine(url)
    async with engine.begin() as connection:
        await connection.execute(sa.insert(PLATFORMS), [platform_row("psad-m", AT)])
        await connection.execute(sa.insert(CASES), [closed_case_row("c-live", "psad-m", live, AT)])
        await connection.execute(
            sa.insert(CASES), [closed_case_row("c-erased", "psad-m", erased, AT)]
        )
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
