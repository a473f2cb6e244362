"""the audit chain seals what a deadline's events say of it: key, kind, due time, recipients

Revision ID: 0580_deadline_seals
Revises: 0570_pilot_digests
Create Date: 2026-12-01 10:00:00

Before: an erased case kept its deadlines' keys and fields in clear. A deadline counted from
the birth date (the end of the obligation de formation at 18, the age limit at 26) gave the
birthday away by its due time (`timer:obligation_ends@<instant>`, `due_at`, the mails'
`deadline_key` and the outbox's business key and Message-ID), and within a week by its kind
and firing time.

Now the hash of an event covers a seal (HMAC-SHA-256 under the case's key) of a deadline
event's key (`timer:`, `mail:`, `undelivered:`) and of the fields that name the deadline
(`timer_fired`: deadline, due_at, recipients; a mail's event: kind, recipient,
deadline_key), for every deadline alike. This revision re-seals every chain in that format,
after checking it in the format of 0530:

- a case not erased keeps its rows as they are; its hashes are recomputed;
- an erased case (its key destroyed) gets its deadline events' keys and fields sealed under a
  key thrown away at once, its hashes recomputed, and its outbox rows' business keys and
  Message-IDs sealed the same way, their kind said erased;
- a chain that does not verify in the old format keeps its hashes (it stays reported as
  broken); an erased one is still sealed.

The functions below are frozen copies of the rules of that day (a migration never imports
live code).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0580_deadline_seals"
down_revision = "0570_pilot_digests"
branch_labels = None
depends_on = None

GENESIS = "0" * 64
ERASED = "efface"
ERASED_KIND = "personal_data_erased"
UNSEALABLE = "cle-detruite"

# ---------------------------------------------------------------- personal texts (as 0530)

STAGE_REASON_CODES = frozenset(
    [
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

# ---------------------------------------------------------------- deadlines (new)

DEADLINE_KEY_PREFIXES = ("timer:", "mail:", "undelivered:")
SEALED_KEY = f"{ERASED}:"
TIMER_FIRED = "timer_fired"
TIMER_DEADLINE_FIELDS = ("deadline", "due_at", "recipients")
MAIL_DEADLINE_FIELDS = ("kind", "recipient", "deadline_key")


class Sealer:
    """The seals of one event (its case, its key as written) under one case key."""

    def __init__(self, case_key: bytes | None, case_id: str, event_key: str) -> None:
        self.case_key, self.case_id, self.event_key = case_key, case_id, event_key

    def __call__(self, path: str, text: str) -> str:
        if self.case_key is None:
            return UNSEALABLE
        message = f"{self.case_id}|{self.event_key}|{path}|{text}".encode()
        return hmac.new(self.case_key, message, hashlib.sha256).hexdigest()


def _seal_at(node: Any, parts: list[str], path: str, codes: frozenset[str], seal: Sealer) -> Any:
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


def _personal_sealed(data: dict[str, Any], kind: str, seal: Sealer) -> dict[str, Any]:
    out = data
    for path, codes in PERSONAL_EVENT_FIELDS.get(kind, ()):
        out = _seal_at(out, path.split("."), "", codes, seal)
    return out


def _deadline_sealed(data: dict[str, Any], kind: str, seal: Sealer) -> dict[str, Any]:
    if kind == TIMER_FIRED:
        names = TIMER_DEADLINE_FIELDS
    else:
        names = MAIL_DEADLINE_FIELDS if "deadline_key" in data else ()
    out = data
    for name in names:
        value = out.get(name)
        is_seal = isinstance(value, dict) and set(value) == {ERASED}
        if name in out and not is_seal:
            text = json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
            out = {**out, name: {ERASED: seal(f"@{name}", text)}}
    return out


def _sealed_key(key: str, seal: Sealer) -> str:
    if not key.startswith(DEADLINE_KEY_PREFIXES):
        return key
    return SEALED_KEY + seal("@key", key)


# ---------------------------------------------------------------- the chain (frozen)


def _as_utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _hash(prev_hash: str, row: Any, key: str, sealed_data: dict[str, Any]) -> str:
    body = json.dumps(
        {
            "case_id": row.case_id,
            "seq": row.seq,
            "key": key,
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


def old_hash(prev: str, row: Any, case_key: bytes | None) -> str:
    """The hash of 0530: personal texts sealed, the key and the deadline fields in clear."""
    seal = Sealer(case_key, row.case_id, row.key)
    return _hash(prev, row, row.key, _personal_sealed(row.data or {}, row.kind, seal))


def new_hash(prev: str, row: Any, key: str, data: dict[str, Any], case_key: bytes | None) -> str:
    """The hash of this revision (`key` and `data` as stored, `row.key` as first written)."""
    seal = Sealer(case_key, row.case_id, row.key)
    covered = _deadline_sealed(_personal_sealed(data, row.kind, seal), row.kind, seal)
    return _hash(prev, row, _sealed_key(key, seal), covered)


def _old_verifies(rows: list[Any], head: str | None, audit_seq: int, key: bytes | None) -> bool:
    prev = GENESIS
    for expected_seq, row in enumerate(rows, start=1):
        if row.seq != expected_seq or row.prev_hash != prev or row.hash != old_hash(prev, row, key):
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
)
outbox = sa.table(
    "outbox",
    sa.column("id", sa.Integer),
    sa.column("case_id", sa.String),
    sa.column("business_key", sa.String),
    sa.column("message_id", sa.String),
    sa.column("kind", sa.String),
)


def _reseal_case(connection: sa.Connection, case: Any, keys: dict[str, bytes]) -> None:
    query = sa.select(events).where(events.c.case_id == case.id).order_by(events.c.seq)
    rows = list(connection.execute(query))
    erased = any(row.kind == ERASED_KIND for row in rows)
    case_key = keys.get(case.id)
    verified = _old_verifies(rows, case.audit_head, case.audit_seq, case_key)
    # An erased case's seals are made under a key thrown away at once.
    sealing_key = secrets.token_bytes(32) if erased else case_key
    prev = GENESIS
    for row in rows:
        key, data = row.key, row.data or {}
        if erased:
            seal = Sealer(sealing_key, row.case_id, row.key)
            key, data = _sealed_key(row.key, seal), _deadline_sealed(data, row.kind, seal)
        values: dict[str, Any] = {}
        if key != row.key:
            values["key"] = key
        if data != (row.data or {}):
            values["data"] = data
        if verified:
            hashed = new_hash(prev, row, key, data, None if erased else case_key)
            if (hashed, prev) != (row.hash, row.prev_hash):
                values |= {"prev_hash": prev, "hash": hashed}
            prev = hashed
        if values:
            connection.execute(sa.update(events).where(events.c.id == row.id).values(**values))
    if verified and rows and prev != case.audit_head:
        connection.execute(sa.update(cases).where(cases.c.id == case.id).values(audit_head=prev))
    if erased:
        _seal_outbox(connection, case.id, secrets.token_bytes(32))


def _seal_outbox(connection: sa.Connection, case_id: str, throwaway: bytes) -> None:
    query = sa.select(outbox).where(outbox.c.case_id == case_id, outbox.c.kind != ERASED)
    seal = Sealer(throwaway, case_id, "")
    for row in list(connection.execute(query)):
        connection.execute(
            sa.update(outbox)
            .where(outbox.c.id == row.id)
            .values(
                business_key=SEALED_KEY + seal("@outbox", row.business_key),
                message_id=SEALED_KEY + seal("@outbox", row.message_id),
                kind=ERASED,
            )
        )


def upgrade() -> None:
    connection = op.get_bind()
    keys = {row.case_id: bytes(row.key) for row in connection.execute(sa.select(case_keys))}
    for case in list(connection.execute(sa.select(cases).order_by(cases.c.id))):
        _reseal_case(connection, case, keys)


def downgrade() -> None:
    # An erased case's keys and fields cannot come back: they gave a birthday away.
    pass
