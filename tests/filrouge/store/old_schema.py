"""The tables as the audit re-sealing revisions (0530, 0580) found them, for the tests that
write old rows and migrate them: the live models have moved on since."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

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


def platform_row(platform_id: str, at: datetime) -> dict[str, Any]:
    return {
        "id": platform_id,
        "name": "PSAD",
        "region": "",
        "territory": {},
        "policy": {},
        "created_at": at,
    }


def closed_case_row(
    case_id: str, platform_id: str, chain: list[dict[str, Any]], at: datetime
) -> dict[str, Any]:
    """A closed case whose audit chain is `chain` (its rows as the old code wrote them)."""
    return {
        "id": case_id,
        "platform_id": platform_id,
        "source": "siei",
        "identified_at": at,
        "stage": "cloture",
        "failed_attempts": 0,
        "state_version": 1,
        "audit_seq": len(chain),
        "audit_head": chain[-1]["hash"],
        "updated_at": at,
    }
