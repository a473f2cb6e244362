"""The kept copy of an uploaded list: only the recognised columns, re-serialised from the rows.

The file as sent is never kept: other sheets, unknown and forbidden columns, formulas, styles
and document properties are not in the parsed rows, so they are not in this copy. It keeps
what the report needs (each row's spreadsheet number and the typed value of each recognised
column), so validating it again gives the same report and the same rejected rows.

JSON Lines in UTF-8, not compressed, so that what is kept can be read (and searched) as it is
stored, and so that the API reads it one row at a time (the rejected rows, an erasure): a first
line names the format and the columns, then one line per row, `[row number, value, ...]`.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
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
    file_format, fields, rows = _open(content)
    header = HeaderMapping(
        headers=tuple(LABELS[name] for name in fields),
        fields=dict(enumerate(fields)),
        ignored_columns=(),
        dropped_forbidden_columns=(),
    )
    return ParsedList(file_format, header, tuple(rows))


def read_stored(content: bytes, limits: IntakeLimits | None = None) -> ParsedList:
    """A stored list: a kept copy, or a list stored as sent before kept copies existed."""
    return read_kept(content) if is_kept_copy(content) else read_list(content, limits)


def stored_rows(content: bytes, limits: IntakeLimits | None = None) -> Iterator[RawRow]:
    """The rows of a stored list, one at a time for a kept copy."""
    if is_kept_copy(content):
        return _open(content)[2]
    return iter(read_list(content, limits).rows)


def without_rows(content: bytes, drop: Callable[[RawRow], bool]) -> tuple[bytes, int]:
    """The stored list, as a kept copy, without the rows `drop` selects; how many rows went.
    A kept copy is read and written one row at a time."""
    if not is_kept_copy(content):
        content = kept_copy(read_list(content))
    file_format, fields, rows = _open(content)
    out = io.BytesIO()
    out.write(_header_line(file_format, fields))
    dropped = 0
    for row in rows:
        if drop(row):
            dropped += 1
        else:
            out.write(_row_line(row, fields))
    return out.getvalue(), dropped


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
    out = io.BytesIO()
    out.write(_header_line(file_format, fields))
    for row in rows:
        out.write(_row_line(row, fields))
    return out.getvalue()


def _header_line(file_format: str, fields: list[str]) -> bytes:
    header = {
        "format": KEPT_FORMAT,
        "version": KEPT_VERSION,
        "file_format": file_format,
        "fields": fields,
    }
    return _line(header)


def _row_line(row: RawRow, fields: list[str]) -> bytes:
    return _line([row.row_number, *(_encode(row.values.get(name)) for name in fields)])


def _line(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"


def _open(content: bytes) -> tuple[str, list[str], Iterator[RawRow]]:
    """The file format, the fields and the rows (read lazily) of a kept copy."""
    lines = io.BytesIO(content)
    header = json.loads(lines.readline())
    if header.get("format") != KEPT_FORMAT or header.get("version") != KEPT_VERSION:
        raise ValueError("not a kept copy of a list")
    fields: list[str] = header["fields"]

    def rows() -> Iterator[RawRow]:
        for line in lines:
            number, *cells = json.loads(line)
            yield RawRow(number, dict(zip(fields, map(_decode, cells), strict=True)))

    return header["file_format"], fields, rows()


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
