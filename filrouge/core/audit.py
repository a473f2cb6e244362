"""The audit chain: each event's hash covers its content and the previous event's hash.

The personal fields of an event (declared in `core.cases.personal`) are **sealed**: the hash
covers an HMAC-SHA-256 of each text, keyed by the case's own secret key, not the text. Until
the erasure, anyone holding the key can check a text against the chain; the erasure replaces
each text by that HMAC and destroys the key, so the chain still verifies and nobody can find a
short text (a commune, « incarceration ») back by hashing guesses.

The events that tell a deadline's firing (its `timer_fired` event, the mails it sent, what it
changed) are sealed the same way in their key and in the fields that name the deadline: a
deadline counted from the birth date (the end of the obligation de formation at 18, the age
limit at 26) would give the birthday away by its due time, and by its kind and firing time
(the first wake after the birthday). Every deadline's rows are sealed alike, so a sealed row
does not single a birthday out.
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

from filrouge.core.cases.pathway import TIMER_FIRED
from filrouge.core.cases.personal import PERSONAL_EVENT_FIELDS, PersonalField
from filrouge.core.clock import as_utc

GENESIS = "0" * 64
ERASED = "efface"
ERASED_KIND = "personal_data_erased"  # the event that records a case's erasure
CASE_KEY_BYTES = 32
# What a text still in clear seals to when its case's key is gone: no HMAC can match it.
UNSEALABLE = "cle-detruite"
# The keys of the events a deadline's firing writes: `timer:<kind>@<due>` (and its effects'
# `timer:<kind>@<due>:<n>`), `mail:<case>|<kind>|<recipient>|<kind>@<due>`, `undelivered:...`.
DEADLINE_KEY_PREFIXES = ("timer:", "mail:", "undelivered:")
# An erased case's deadline event keeps this and its key's seal as its key.
SEALED_KEY = f"{ERASED}:"
# The fields naming the deadline: of its firing, and of a mail about it (it has a
# `deadline_key`); each value, whatever its type, is sealed whole (a list's length too).
TIMER_DEADLINE_FIELDS = ("deadline", "due_at", "recipients")
MAIL_DEADLINE_FIELDS = ("kind", "recipient", "deadline_key")


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


def _is_seal(value: Any) -> bool:
    return isinstance(value, dict) and set(value) == {ERASED}


def deadline_fields(kind: str, data: dict[str, Any]) -> tuple[str, ...]:
    """The fields of an event that name a deadline (its kind, due time, recipients)."""
    if kind == TIMER_FIRED:
        return TIMER_DEADLINE_FIELDS
    return MAIL_DEADLINE_FIELDS if "deadline_key" in data else ()


def sealed(
    data: dict[str, Any],
    kind: str,
    case_id: str,
    event_key: str,
    case_key: bytes | None,
    *,
    deadlines: bool = True,
) -> dict[str, Any]:
    """The form of `data` the hash covers: each personal text, and each field naming a
    deadline (unless `deadlines` is false), as `{ERASED: its HMAC}`."""
    seal = _seal_text(case_key, case_id, event_key)
    out = data
    for field in PERSONAL_EVENT_FIELDS.get(kind, ()):
        out = _seal_at(out, field.path.split("."), "", field, seal)
    for name in deadline_fields(kind, data) if deadlines else ():
        value = out.get(name)
        if name in out and not _is_seal(value):
            text = json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
            out = {**out, name: {ERASED: seal(f"@{name}", text)}}
    return out


def seal_digest(case_key: bytes | None, case_id: str, text: str) -> str:
    """The HMAC of a text kept outside the chain (a mail's business key), under the case's
    key; once the key is gone, a throwaway one (nothing has to match it any more)."""
    return _seal_text(case_key or new_case_key(), case_id, "")("@outbox", text)


def sealed_key(key: str, case_id: str, case_key: bytes | None) -> str:
    """The form of an event's key the hash covers: a deadline event's key as `efface:` and
    its HMAC (it holds the due time), any other key as it is."""
    if not key.startswith(DEADLINE_KEY_PREFIXES):
        return key
    return SEALED_KEY + _seal_text(case_key, case_id, key)("@key", key)


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
            "key": sealed_key(key, case_id, case_key),
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
