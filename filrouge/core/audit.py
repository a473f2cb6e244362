"""The audit chain: each event's hash covers its content and the previous event's hash.

The personal fields of an event (declared in `core.cases.personal`) are **sealed**: the hash
covers an HMAC-SHA-256 of each text, keyed by the case's own secret key, not the text. Until
the erasure, anyone holding the key can check a text against the chain; the erasure replaces
each text by that HMAC and destroys the key, so the chain still verifies and nobody can find a
short text (a commune, « incarceration ») back by hashing guesses.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from filrouge.core.cases.personal import PERSONAL_EVENT_FIELDS, PersonalField
from filrouge.core.clock import as_utc

GENESIS = "0" * 64
ERASED = "efface"
ERASED_KIND = "personal_data_erased"  # the event that records a case's erasure
CASE_KEY_BYTES = 32
# What a text still in clear seals to when its case's key is gone: no HMAC can match it.
UNSEALABLE = "cle-detruite"


def new_case_key() -> bytes:
    """A case's secret key for its seals (stored with the case, destroyed at its erasure)."""
    return secrets.token_bytes(CASE_KEY_BYTES)


def _seal_text(case_key: bytes | None, case_id: str, event_key: str) -> Callable[[str, str], str]:
    def seal(path: str, text: str) -> str:
        if case_key is None:
            return UNSEALABLE
        message = f"{case_id}|{event_key}|{path}|{text}".encode()
        return hmac.new(case_key, message, hashlib.sha256).hexdigest()

    return seal


def _seal_at(node: Any, parts: list[str], path: str, field: PersonalField, seal: Any) -> Any:
    """`node` with the texts at `parts` (a dotted path, lists walked) sealed."""
    if isinstance(node, list):
        return [_seal_at(item, parts, f"{path}.{i}", field, seal) for i, item in enumerate(node)]
    if not parts:
        if isinstance(node, str) and node and node not in field.codes:
            return {ERASED: seal(path, node)}
        return node  # None, a code, or already sealed ({ERASED: digest})
    if isinstance(node, dict) and parts[0] in node:
        name = parts[0]
        inner = _seal_at(node[name], parts[1:], f"{path}.{name}" if path else name, field, seal)
        return {**node, name: inner}
    return node


def sealed(
    data: dict[str, Any], kind: str, case_id: str, event_key: str, case_key: bytes | None
) -> dict[str, Any]:
    """The form of `data` the hash covers: each personal text as `{ERASED: its HMAC}`."""
    seal = _seal_text(case_key, case_id, event_key)
    out = data
    for field in PERSONAL_EVENT_FIELDS.get(kind, ()):
        out = _seal_at(out, field.path.split("."), "", field, seal)
    return out


def redacted(
    data: dict[str, Any], kind: str, case_id: str, event_key: str, case_key: bytes | None
) -> dict[str, Any] | None:
    """`data` with its personal texts replaced by their seal; None when it holds none."""
    out = sealed(data, kind, case_id, event_key, case_key)
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
    case_key: bytes | None,
) -> str:
    """SHA-256 over a canonical JSON form of the sealed event, chained to `prev_hash`."""
    body = json.dumps(
        {
            "case_id": case_id,
            "seq": seq,
            "key": key,
            "kind": kind,
            "occurred_at": as_utc(occurred_at).isoformat(timespec="microseconds"),
            "actor_id": actor_id,
            "actor_role": actor_role,
            "data": sealed(data, kind, case_id, key, case_key),
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
