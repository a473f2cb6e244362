"""The kept copy of an uploaded list: only the recognised columns, re-serialised from the rows.

The file as sent is never kept: other sheets, unknown and forbidden columns, formulas, styles
and document properties are not in the parsed rows, so they are not in this copy. It keeps
what the report needs (each row's spreadsheet number and the typed value of each recognised
column), so validating it again gives the same report and the same rejected rows.

Plain UTF-8 JSON, not compressed: what is kept can be read (and searched) as it is stored.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from typing import Any

from filrouge.core.identity import LABELS
from filrouge.intake.columns import HeaderMapping
from filrouge.intake.fields import RowInvalid, parse_date
from filrouge.intake.reader import CellValue, IntakeLimits, ParsedList, RawRow, read_list
from filrouge.intake.validate import normalized_name_key

KEPT_FORMAT = "filrouge-lignes-reconnues"
KEPT_VERSION = 1
KEPT_PREFIX = json.dumps({"format": KEPT_FORMAT}, separators=(",", ":"))[:-1].encode()


def is_kept_copy(content: bytes) -> bool:
    """True for a copy written by `kept_copy` (lists stored before it are the file as sent)."""
    return content.startswith(KEPT_PREFIX)


def kept_copy(parsed: ParsedList) -> bytes:
    """The recognised columns of every data row, with their spreadsheet row numbers."""
    fields = [parsed.columns.fields[index] for index in sorted(parsed.columns.fields)]
    return _dump(parsed.file_format, fields, parsed.rows)


def read_kept(content: bytes) -> ParsedList:
    """The parsed list a kept copy was made from (ignored and dropped columns excepted)."""
    body = json.loads(content)
    if body.get("format") != KEPT_FORMAT or body.get("version") != KEPT_VERSION:
        raise ValueError("not a kept copy of a list")
    fields: list[str] = body["fields"]
    rows = tuple(
        RawRow(number, dict(zip(fields, map(_decode, cells), strict=True)))
        for number, *cells in body["rows"]
    )
    header = HeaderMapping(
        headers=tuple(LABELS[name] for name in fields),
        fields=dict(enumerate(fields)),
        ignored_columns=(),
        dropped_forbidden_columns=(),
    )
    return ParsedList(body["file_format"], header, rows)


def read_stored(content: bytes, limits: IntakeLimits | None = None) -> ParsedList:
    """A stored list: a kept copy, or a list stored as sent before kept copies existed."""
    return read_kept(content) if is_kept_copy(content) else read_list(content, limits)


def without_rows(content: bytes, drop: Callable[[RawRow], bool]) -> tuple[bytes, int]:
    """The stored list, as a kept copy, without the rows `drop` selects; how many rows went."""
    parsed = read_stored(content)
    kept = [row for row in parsed.rows if not drop(row)]
    fields = [parsed.columns.fields[index] for index in sorted(parsed.columns.fields)]
    return _dump(parsed.file_format, fields, kept), len(parsed.rows) - len(kept)


def names_person(values: Mapping[str, CellValue], ine: str | None, name_key: str | None) -> bool:
    """Whether a row, valid or not, names this young person: their INE, or their name and
    birth date (the duplicate-matching key)."""
    if ine and "".join(str(values.get("ine") or "").split()).upper() == ine:
        return True
    last, first = values.get("last_name"), values.get("first_name")
    if not name_key or last is None or first is None:
        return False
    try:
        birth = parse_date(values.get("birth_date"))
    except RowInvalid:
        return False
    return birth is not None and normalized_name_key(str(last), str(first), birth) == name_key


def _dump(file_format: str, fields: list[str], rows: Iterable[RawRow]) -> bytes:
    body = {
        "format": KEPT_FORMAT,
        "version": KEPT_VERSION,
        "file_format": file_format,
        "fields": fields,
        "rows": [[row.row_number, *(_encode(row.values.get(f)) for f in fields)] for row in rows],
    }
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def _encode(cell: CellValue) -> Any:
    if isinstance(cell, datetime):  # before date: a datetime is a date
        return {"datetime": cell.isoformat()}
    if isinstance(cell, date):
        return {"date": cell.isoformat()}
    return cell


def _decode(cell: Any) -> CellValue:
    if isinstance(cell, dict):
        if "datetime" in cell:
            return datetime.fromisoformat(cell["datetime"])
        return date.fromisoformat(cell["date"])
    if cell is None or isinstance(cell, str | int | float):
        return cell
    raise ValueError("unexpected cell in a kept copy")
