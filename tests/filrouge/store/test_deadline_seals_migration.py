"""Revision 0580 re-seals the audit chains so that a deadline's events can be erased: every
chain still verifies, a case not erased keeps its rows, an erased one loses its deadlines'
keys, kinds and due times (its 18th birthday among them) in the chain and in the outbox."""

from __future__ import annotations

import asyncio
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
from filrouge.store.models import Case, OutboxMessage
from tests.filrouge.store.old_schema import (
    CASES,
    EVENTS,
    PLATFORMS,
    closed_case_row,
    platform_row,
)

revision = importlib.import_module("migrations.versions.0580_audit_deadline_seals")
AT = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)
CASE_KEY = b"k" * 32
# The 18th birthday of the erased case (born 14 May 2008) and its deadline's due time.
BIRTHDAY = "2026-05-14"
DUE = f"{BIRTHDAY}T08:00:00+00:00"
AGE_DUE = "2034-05-14T08:00:00+00:00"

KEYS = sa.table(
    "case_keys",
    sa.column("case_id", sa.String),
    sa.column("key", sa.LargeBinary),
    sa.column("created_at", sa.DateTime(timezone=True)),
)
OUTBOX = sa.table(
    "outbox",
    *(
        sa.column(c)
        for c in (
            "business_key",
            "case_id",
            "kind",
            "recipient_role",
            "to_address",
            "subject",
            "message_id",
            "status",
            "attempts",
        )
    ),
    sa.column("created_at", sa.DateTime(timezone=True)),
)


def events_of(case_id: str) -> list[tuple[str, str, dict[str, Any]]]:
    """A case past its 18th birthday (no mail) and its 26th (a mail to the référent)."""
    mail_key = f"{case_id}|age_limit|referent|age_limit@{AGE_DUE}"
    return [
        ("identification", "case_identified", {"source": "siei"}),
        (
            f"timer:obligation_ends@{DUE}",
            "timer_fired",
            {"deadline": "obligation_ends", "due_at": DUE, "recipients": []},
        ),
        (
            f"timer:age_limit@{AGE_DUE}",
            "timer_fired",
            {"deadline": "age_limit", "due_at": AGE_DUE, "recipients": ["referent"]},
        ),
        (
            f"mail:{mail_key}",
            "email_sent",
            {"kind": "age_limit", "recipient": "referent", "deadline_key": f"age_limit@{AGE_DUE}"},
        ),
        ("step:1", "case_closed", {"outcome": "autre", "reason": "incarceration"}),
    ]


def old_chain(
    case_id: str, events: list[tuple[str, str, dict[str, Any]]], key: bytes | None
) -> list[dict[str, Any]]:
    """Rows as the code of 0530 wrote them (deadline keys and fields in clear)."""
    rows, prev = [], revision.GENESIS
    for seq, (event_key, kind, data) in enumerate(events, start=1):
        row = {
            "case_id": case_id,
            "seq": seq,
            "key": event_key,
            "kind": kind,
            "occurred_at": AT + timedelta(days=seq),
            "actor_id": None,
            "actor_role": None,
            "data": data,
            "prev_hash": prev,
        }
        row["hash"] = prev = revision.old_hash(prev, SimpleNamespace(**row), key)
        rows.append(row)
    return rows


def outbox_row(case_id: str) -> dict[str, Any]:
    key = f"{case_id}|age_limit|referent|age_limit@{AGE_DUE}"
    return {
        "business_key": key,
        "case_id": case_id,
        "kind": "age_limit",
        "recipient_role": "referent",
        "to_address": "",
        "subject": "",
        "message_id": f"<{case_id}.{AGE_DUE}@filrouge>",
        "status": "sent",
        "attempts": 1,
        "created_at": AT,
    }


async def test_deadline_events_are_resealed_and_an_erased_birthday_goes(
    empty_database: str,
) -> None:
    url = empty_database
    await asyncio.to_thread(command.upgrade, alembic_config(url), revision.down_revision)
    live = old_chain("c-live", events_of("c-live"), CASE_KEY)
    erased_events = [*events_of("c-erased"), ("erasure", "personal_data_erased", {})]
    erased_events[4] = ("step:1", "case_closed", {"outcome": "autre", "reason": {"efface": "0f"}})
    erased = old_chain("c-erased", erased_events, None)
    engine = make_engine(url)
    async with engine.begin() as connection:
        await connection.execute(sa.insert(PLATFORMS), [platform_row("psad-d", AT)])
        await connection.execute(sa.insert(CASES), [closed_case_row("c-live", "psad-d", live, AT)])
        await connection.execute(
            sa.insert(CASES), [closed_case_row("c-erased", "psad-d", erased, AT)]
        )
        await connection.execute(sa.insert(EVENTS), [*live, *erased])
        await connection.execute(
            sa.insert(KEYS), [{"case_id": "c-live", "key": CASE_KEY, "created_at": AT}]
        )
        await connection.execute(sa.insert(OUTBOX), [outbox_row("c-live"), outbox_row("c-erased")])
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
        rows = {c: await audit.history(c) for c in ("c-live", "c-erased")}
        live_rows = [(row.key, row.data) for row in rows["c-live"]]
        erased_rows = str([(row.key, row.kind, row.data) for row in rows["c-erased"]])
        mails = {
            row.case_id: row
            for row in (await session.execute(select(OutboxMessage))).scalars().all()
        }
    await engine.dispose()

    # Not erased: nothing changes but the hashes (the history still reads the deadlines).
    assert live_rows == [(key, data) for key, _, data in events_of("c-live")]
    assert mails["c-live"].business_key == outbox_row("c-live")["business_key"]
    # Erased: neither the birthday nor the kind of any deadline is left.
    for gone in (BIRTHDAY, DUE, "2034-05-14", "obligation_ends", "age_limit", "'referent'"):
        assert gone not in erased_rows
        mail = mails["c-erased"]
        assert gone not in str((mail.business_key, mail.message_id, mail.kind))
    assert "case_identified" in erased_rows and "'autre'" in erased_rows  # codes stay
    assert mails["c-erased"].kind == "efface" and mails["c-erased"].status == "sent"
