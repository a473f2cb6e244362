"""The audit chain: each event's hash covers its content and the previous event's hash."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from filrouge.core.clock import as_utc

GENESIS = "0" * 64

# Event fields that may hold free text typed by a user (a motive, a comment, a place, an
# SMTP error). Codes (`refus`, `last_follow_up_maintained`) are kept; free text is erased
# with the young person's personal data, and the hash covers a digest of it, so that the
# chain still verifies after the erasure.
FREE_TEXT_FIELDS = ("reason", "comment", "place", "new_commune")
ERASED = "efface"
_CODE = re.compile(r"[a-z0-9_]{1,60}")


def _is_free_text(value: Any) -> bool:
    return isinstance(value, str) and not _CODE.fullmatch(value)


def _digest(case_id: str, key: str, name: str, text: str) -> str:
    return hashlib.sha256(f"{case_id}|{key}|{name}|{text}".encode()).hexdigest()


def sealed(data: dict[str, Any], case_id: str, key: str) -> dict[str, Any]:
    """The form of `data` the hash covers: free texts (erased or not) as their digest."""
    out = dict(data)
    for name in FREE_TEXT_FIELDS:
        value = out.get(name)
        if isinstance(value, dict) and ERASED in value:
            out[name] = {ERASED: value[ERASED]}
        elif isinstance(value, str) and _is_free_text(value):
            out[name] = {ERASED: _digest(case_id, key, name, value)}
    return out


def redacted(data: dict[str, Any], case_id: str, key: str) -> dict[str, Any] | None:
    """`data` with its free texts replaced by their digest; None when there is none."""
    out = sealed(data, case_id, key)
    return out if out != data else None


def event_hash(
    prev_hash: str,
    *,
    case_id: str,
    seq: int,
    key: str,
    kind: str,
    occurred_at: datetime,
    actor_id: str | None,
    actor_role: str | None,
    data: dict[str, Any],
    seal: bool = True,
) -> str:
    """SHA-256 over a canonical JSON form of the event, chained to `prev_hash`.

    `seal=False` is the form of events recorded before free texts were sealed.
    """
    if seal:
        data = sealed(data, case_id, key)
    body = json.dumps(
        {
            "case_id": case_id,
            "seq": seq,
            "key": key,
            "kind": kind,
            "occurred_at": as_utc(occurred_at).isoformat(timespec="microseconds"),
            "actor_id": actor_id,
            "actor_role": actor_role,
            "data": data,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=str,
    )
    return hashlib.sha256(f"{prev_hash}|{body}".encode()).hexdigest()


@dataclass
class ChainVerification:
    case_id: str
    ok: bool
    events_checked: int
    first_bad_seq: int | None = None
    problem: str | None = None
