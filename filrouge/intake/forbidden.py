"""Blank the cells of forbidden columns before an uploaded list is kept (SIEI CNIL conditions).

The file is kept so that an interrupted import can be read again and its rejected rows
downloaded; its forbidden columns keep their header (the report names them) but no value.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

from filrouge.intake.columns import forbidden_category
from filrouge.intake.reader import ParsedList, decode_csv


def without_forbidden_values(data: bytes, parsed: ParsedList) -> bytes:
    """The same list with every cell under a forbidden header emptied (unchanged if none)."""
    if not parsed.columns.dropped_forbidden_columns:
        return data
    if parsed.file_format == "xlsx":
        return _xlsx_without(data)
    return _csv_without(data, parsed.delimiter or ";")


def _forbidden_indexes(header: Sequence[Any]) -> set[int]:
    return {
        index
        for index, cell in enumerate(header)
        if cell is not None and str(cell).strip() and forbidden_category(str(cell))
    }


def _is_blank(cells: Sequence[Any]) -> bool:
    return all(cell is None or (isinstance(cell, str) and not cell.strip()) for cell in cells)


def _csv_without(data: bytes, delimiter: str) -> bytes:
    text, _ = decode_csv(data)
    records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    forbidden: set[int] | None = None
    for record in records:
        if forbidden is not None:
            for index in forbidden:
                if index < len(record):
                    record[index] = ""
        elif not _is_blank(record):
            forbidden = _forbidden_indexes(record)
    buffer = io.StringIO(newline="")
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(records)
    return buffer.getvalue().encode("utf-8")


def _xlsx_without(data: bytes) -> bytes:
    from openpyxl import load_workbook
    from openpyxl.cell.cell import MergedCell

    book = load_workbook(io.BytesIO(data), data_only=True)  # formulas become their values
    sheet = book.worksheets[0]
    for other in list(book):  # only the first sheet is read: the others are not kept
        if other is not sheet:
            book.remove(other)
    forbidden: set[int] | None = None
    for row in sheet.iter_rows():
        if forbidden is not None:
            for cell in row:
                if cell.column - 1 in forbidden and not isinstance(cell, MergedCell):
                    cell.value = None
        elif not _is_blank([cell.value for cell in row]):
            forbidden = _forbidden_indexes([cell.value for cell in row])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
