"""a secret key per case; the audit chain seals personal texts with an HMAC under it

Revision ID: 0530_case_keys
Revises: 0520_dashboard
Create Date: 2026-11-30 17:00:00

Before: the hash of an audit event covered a plain SHA-256 of the texts that *looked* free
(a regex), so short texts could be found back from an erased case's digest by hashing
guesses, and texts that looked like codes (`incarceration`, a lower-case commune) or sat in
a list (a proposal's structure) were neither sealed nor erased.

This revision re-seals every case's chain in the new format (the declared personal fields,
HMAC-SHA-256 under the case's own key), after checking it in the old one:

- a case not erased gets its key, and its hashes are recomputed (its texts stay);
- an erased case gets no key: each old digest becomes an HMAC under a key thrown away at
  once, the personal texts the old rule missed are sealed the same way, and its hashes are
  recomputed;
- a chain that does not verify in the old format keeps its hashes (it stays reported as
  broken); an erased one is still redacted.

The functions below are frozen copies of the rules of that day (a migration never imports
live code).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0530_case_keys"
down_revision = "0520_dashboard"
branch_labels = None
depends_on = None

GENESIS = "0" * 64
ERASED = "efface"
ERASED_KIND = "personal_data_erased"

# ---------------------------------------------------------------- the old format (frozen)

V1_FREE_TEXT_FIELDS = ("reason", "comment", "place", "new_commune")
_V1_CODE = re.compile(r"[a-z0-9_]{1,60}")


def _v1_sealed(data: dict[str, Any], case_id: str, key: str) -> dict[str, Any]:
    out = dict(data)
    for name in V1_FREE_TEXT_FIELDS:
        value = out.get(name)
        if isinstance(value, dict) and ERASED in value:
            out[name] = {ERASED: value[ERASED]}
        elif isinstance(value, str) and not _V1_CODE.fullmatch(value):
            text = f"{case_id}|{key}|{name}|{value}"
            out[name] = {ERASED: hashlib.sha256(text.encode()).hexdigest()}
    return out


# ---------------------------------------------------------------- the new format (frozen)

STAGE_REASON_CODES = frozenset(
    [
        # StageReason
        "automatic_assignment",
        "referent_assigned",
        "max_failed_attempts",
        "accepts_interview",
        "interview_held",
        "no_show",
        "solutions_proposed",
        "approved",
        "changes_requested",
        "entered",
        "not_entered",
        "rupture",
        "last_follow_up_maintained",
        "reopened",
        "reidentified",
        "inactivity",
        # Outcome and ContactOutcome
        "maintenu_en_solution",
        "deja_en_solution",
        "refus",
        "injoignable",
        "demenage",
        "hors_champ",
        "sans_suite",
        "autre",
        "accepte_entretien",
    ]
)
NO_CODES: frozenset[str] = frozenset()
PERSONAL_EVENT_FIELDS: dict[str, tuple[tuple[str, frozenset[str]], ...]] = {
    "contact_outcome": (("new_commune", NO_CODES), ("reason", NO_CODES)),
    "interview_scheduled": (("place", NO_CODES),),
    "solutions_proposed": (("solutions.structure", NO_CODES),),
    "decision": (("comment", NO_CODES),),
    "case_closed": (("reason", NO_CODES),),
    "case_reopened": (("reason", NO_CODES),),
    "stage_changed": (("reason", STAGE_REASON_CODES),),
    "email_undelivered": (("reason", NO_CODES),),
    "email_failed": (("reason", NO_CODES),),
}

Seal = Callable[[str, str], str]


def _hmac_seal(case_key: bytes, case_id: str, event_key: str) -> Seal:
    def seal(path: str, text: str) -> str:
        message = f"{case_id}|{event_key}|{path}|{text}".encode()
        return hmac.new(case_key, message, hashlib.sha256).hexdigest()

    return seal


def _seal_at(node: Any, parts: list[str], path: str, codes: frozenset[str], seal: Seal) -> Any:
    if isinstance(node, list):
        return [_seal_at(item, parts, f"{path}.{i}", codes, seal) for i, item in enumerate(node)]
    if not parts:
        if isinstance(node, str) and node and node not in codes:
            return {ERASED: seal(path, node)}
        return node
    if isinstance(node, dict) and parts[0] in node:
        name = parts[0]
        inner = _seal_at(node[name], parts[1:], f"{path}.{name}" if path else name, codes, seal)
        return {**node, name: inner}
    return node


def _v2_sealed(data: dict[str, Any], kind: str, seal: Seal) -> dict[str, Any]:
    out = data
    for path, codes in PERSONAL_EVENT_FIELDS.get(kind, ()):
        out = _seal_at(out, path.split("."), "", codes, seal)
    return out


def _reseal_digests(node: Any, seal: Seal) -> Any:
    """An erased case's old SHA-256 digests, each replaced by an HMAC under a lost key."""
    if isinstance(node, list):
        return [_reseal_digests(item, seal) for item in node]
    if isinstance(node, dict):
        if set(node) == {ERASED} and isinstance(node[ERASED], str):
            return {ERASED: seal("", node[ERASED])}
        return {name: _reseal_digests(value, seal) for name, value in node.items()}
    return node


# ---------------------------------------------------------------- the chain (frozen)


def _as_utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _hash(prev_hash: str, row: Any, sealed_data: dict[str, Any]) -> str:
    body = json.dumps(
        {
            "case_id": row.case_id,
            "seq": row.seq,
            "key": row.key,
            "kind": row.kind,
            "occurred_at": _as_utc(row.occurred_at).isoformat(timespec="microseconds"),
            "actor_id": row.actor_id,
            "actor_role": row.actor_role,
            "data": sealed_data,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=str,
    )
    return hashlib.sha256(f"{prev_hash}|{body}".encode()).hexdigest()


def _v1_verifies(rows: list[Any], head: str, audit_seq: int) -> bool:
    prev = GENESIS
    for expected_seq, row in enumerate(rows, start=1):
        sealed = _v1_sealed(row.data or {}, row.case_id, row.key)
        if row.seq != expected_seq or row.prev_hash != prev or row.hash != _hash(prev, row, sealed):
            return False
        prev = row.hash
    return audit_seq == len(rows) and (head or GENESIS) == prev


# ---------------------------------------------------------------- the revision

cases = sa.table(
    "cases",
    sa.column("id", sa.String),
    sa.column("audit_seq", sa.Integer),
    sa.column("audit_head", sa.String),
)
events = sa.table(
    "audit_events",
    sa.column("id", sa.Integer),
    sa.column("case_id", sa.String),
    sa.column("seq", sa.Integer),
    sa.column("key", sa.String),
    sa.column("kind", sa.String),
    sa.column("occurred_at", sa.DateTime(timezone=True)),
    sa.column("actor_id", sa.String),
    sa.column("actor_role", sa.String),
    sa.column("data", sa.JSON),
    sa.column("prev_hash", sa.String),
    sa.column("hash", sa.String),
)
case_keys = sa.table(
    "case_keys",
    sa.column("case_id", sa.String),
    sa.column("key", sa.LargeBinary),
    sa.column("created_at", sa.DateTime(timezone=True)),
)


def _reseal_case(connection: sa.Connection, case: Any, now: datetime) -> None:
    query = sa.select(events).where(events.c.case_id == case.id).order_by(events.c.seq)
    rows = list(connection.execute(query))
    erased = any(row.kind == ERASED_KIND for row in rows)
    verified = _v1_verifies(rows, case.audit_head, case.audit_seq)
    case_key = secrets.token_bytes(32)
    if not erased:
        connection.execute(sa.insert(case_keys).values(case_id=case.id, key=case_key, created_at=now))
    prev = GENESIS
    for row in rows:
        seal = _hmac_seal(case_key, row.case_id, row.key)
        data = row.data or {}
        if erased:
            data = _v2_sealed(_reseal_digests(data, seal), row.kind, seal)
        values: dict[str, Any] = {"data": data} if data != (row.data or {}) else {}
        if verified:
            new_hash = _hash(prev, row, _v2_sealed(data, row.kind, seal))
            if (new_hash, prev) != (row.hash, row.prev_hash):
                values |= {"prev_hash": prev, "hash": new_hash}
            prev = new_hash
        if values:
            connection.execute(sa.update(events).where(events.c.id == row.id).values(**values))
    if verified and rows and prev != case.audit_head:
        connection.execute(sa.update(cases).where(cases.c.id == case.id).values(audit_head=prev))


def upgrade() -> None:
    op.create_table(
        "case_keys",
        sa.Column("case_id", sa.String(length=40), nullable=False),
        sa.Column("key", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.PrimaryKeyConstraint("case_id"),
    )
    connection = op.get_bind()
    now = datetime.now(UTC)
    for case in list(connection.execute(sa.select(cases).order_by(cases.c.id))):
        _reseal_case(connection, case, now)


def downgrade() -> None:
    # The old format cannot come back: its digests of short texts could be guessed.
    op.drop_table("case_keys")
