"""The identity declared once (core.identity): every other copy agrees with it."""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any, get_type_hints

from sqlalchemy import Boolean, Date, String

from api.intake import ReferredPersonIn
from api.schemas import PersonIn, PersonOut, PersonPatchIn
from filrouge.core.identity import IDENTITY_FIELDS, LABELS, LIST_FIELDS, PERSON_FIELD_NAMES
from filrouge.intake.columns import COLUMNS
from filrouge.intake.fields import FIELD_PARSERS
from filrouge.intake.validate import ValidRow
from filrouge.store.models import CaseIdentity

NAMES = [f.name for f in IDENTITY_FIELDS]
SQL_TYPES: dict[type, type[Any]] = {str: String, date: Date, bool: Boolean}


def test_the_store_columns_follow_the_declaration() -> None:
    columns = {c.name: c for c in CaseIdentity.__table__.columns}
    stored = [name for name in columns if name not in ("case_id", "name_key")]
    assert stored == NAMES
    for f in IDENTITY_FIELDS:
        column = columns[f.name]
        assert isinstance(column.type, SQL_TYPES[f.type]), f.name
        assert getattr(column.type, "length", None) == f.max_length, f.name
        assert column.nullable == f.in_list, f.name


def test_the_list_row_carries_the_list_fields() -> None:
    hints = get_type_hints(ValidRow)
    row = {f.name: f for f in dataclasses.fields(ValidRow) if f.name != "row_number"}
    assert set(row) == set(PERSON_FIELD_NAMES)
    for f in LIST_FIELDS:
        required = row[f.name].default is dataclasses.MISSING
        assert required == f.required, f.name
        assert hints[f.name] == (f.type if f.required else f.type | None), f.name


def test_the_list_columns_and_parsers_cover_the_list_fields_with_their_labels() -> None:
    assert {c.field for c in COLUMNS} == set(PERSON_FIELD_NAMES)
    assert set(FIELD_PARSERS) == set(PERSON_FIELD_NAMES)
    assert all(c.label == LABELS[c.field] for c in COLUMNS)


def test_every_person_schema_has_the_declared_fields_in_order() -> None:
    for schema in (PersonIn, PersonOut, PersonPatchIn, ReferredPersonIn):
        assert list(schema.model_fields) == NAMES, schema.__name__


def test_required_fields_are_required_where_a_case_is_created() -> None:
    for schema in (PersonIn, ReferredPersonIn):
        required = [name for name, info in schema.model_fields.items() if info.is_required()]
        assert required == [f.name for f in IDENTITY_FIELDS if f.required], schema.__name__
