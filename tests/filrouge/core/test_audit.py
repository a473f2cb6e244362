"""The audit chain seals the declared personal fields with an HMAC under the case's key."""

from __future__ import annotations

import dataclasses
import types
import typing
from datetime import UTC, datetime
from enum import Enum
from typing import Any

import pytest

from filrouge.core.audit import ERASED, event_hash, new_case_key, redacted, sealed
from filrouge.core.cases.declaration import StepDeclaration
from filrouge.core.cases.personal import PERSONAL_EVENT_FIELDS, STAGE_REASON_CODES
from filrouge.core.cases.steps import STEPS
from filrouge.core.cases.transitions import StageReason

CASE, KEY = "c0123", "step:u1:0"


def text_fields(cls: type, prefix: str = "") -> list[str]:
    """Dotted names of the fields of `cls` (nested dataclasses and lists walked) that can hold
    a text which is not an enumeration's code."""
    found = []
    for f in dataclasses.fields(cls):
        if f.name == "actor":
            continue
        hint = typing.get_type_hints(cls)[f.name]
        for part in _parts(hint):
            if dataclasses.is_dataclass(part) and isinstance(part, type):
                found += text_fields(part, f"{prefix}{f.name}.")
            elif part is str:
                found.append(prefix + f.name)
    return found


def _parts(hint: Any) -> list[Any]:
    args = typing.get_args(hint)
    if typing.get_origin(hint) in (types.UnionType, typing.Union, list, tuple):
        return [p for a in args for p in _parts(a)]
    if isinstance(hint, type) and issubclass(hint, Enum):
        return []
    return [hint]


@pytest.mark.parametrize("declaration", STEPS, ids=lambda d: d.update)
def test_every_text_a_step_records_is_declared_personal_or_is_an_id(
    declaration: StepDeclaration,
) -> None:
    if declaration.recorded is not None:
        return  # it records its own data (never the input's texts), e.g. field names only
    texts = {name for name in text_fields(declaration.input) if not name.endswith("_id")}
    assert texts == set(declaration.personal)
    declared = {f.path for f in PERSONAL_EVENT_FIELDS.get(declaration.audit, ())}
    assert declared == texts


def test_texts_that_look_like_codes_and_nested_texts_are_sealed() -> None:
    key = new_case_key()
    closed = sealed({"outcome": "autre", "reason": "incarceration"}, "case_closed", CASE, KEY, key)
    moved = sealed(
        {"outcome": "demenage", "new_commune": "albi"}, "contact_outcome", CASE, KEY, key
    )
    solutions = [{"type": "e2c", "structure": "e2c albi", "start_date": "2030-01-07"}] * 2
    proposed = sealed({"solutions": solutions}, "solutions_proposed", CASE, KEY, key)

    assert closed["outcome"] == "autre" and set(closed["reason"]) == {ERASED}
    assert moved["outcome"] == "demenage" and set(moved["new_commune"]) == {ERASED}
    assert [s["type"] for s in proposed["solutions"]] == ["e2c", "e2c"]
    first, second = (s["structure"][ERASED] for s in proposed["solutions"])
    assert first != second  # each place has its own seal: equal texts are not linkable


def test_stage_reasons_that_are_codes_stay_and_a_typed_motive_is_sealed() -> None:
    key = new_case_key()
    coded = {"from": "suivi", "to": "cloture", "reason": StageReason.LAST_FOLLOW_UP_MAINTAINED}
    typed = {"from": "contact", "to": "cloture", "reason": "incarceration"}
    assert sealed(coded, "stage_changed", CASE, KEY, key) == coded
    assert set(sealed(typed, "stage_changed", CASE, KEY, key)["reason"]) == {ERASED}
    assert "refus" in STAGE_REASON_CODES and "incarceration" not in STAGE_REASON_CODES


def test_a_seal_depends_on_the_case_key_so_a_guess_cannot_be_checked_without_it() -> None:
    data = {"outcome": "autre", "reason": "incarceration"}
    one, other = new_case_key(), new_case_key()
    assert sealed(data, "case_closed", CASE, KEY, one) != sealed(
        data, "case_closed", CASE, KEY, other
    )
    assert redacted({"outcome": "refus"}, "case_closed", CASE, KEY, one) is None


def test_the_hash_is_the_same_before_and_after_the_erasure_without_the_key() -> None:
    key = new_case_key()
    data = {"solutions": [{"type": "e2c", "structure": "E2C Albi", "start_date": "2030-01-07"}]}
    fields = {
        "case_id": CASE,
        "seq": 3,
        "key": KEY,
        "kind": "solutions_proposed",
        "occurred_at": datetime(2026, 11, 30, tzinfo=UTC),
        "actor_id": "u1",
        "actor_role": "referent",
    }
    before = event_hash("0" * 64, **fields, data=data, case_key=key)  # type: ignore[arg-type]
    erased = redacted(data, "solutions_proposed", CASE, KEY, key)
    assert erased is not None and "Albi" not in str(erased)
    after = event_hash("0" * 64, **fields, data=erased, case_key=None)  # type: ignore[arg-type]
    assert after == before
    # Without the key, a text put back in clear cannot match its seal.
    tampered = event_hash("0" * 64, **fields, data=data, case_key=None)  # type: ignore[arg-type]
    assert tampered != before
