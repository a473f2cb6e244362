"""The kept copy of a list: its recognised columns only, read again into the same rows."""

from __future__ import annotations

import io
import json
from datetime import date, datetime

from openpyxl import Workbook

from filrouge.intake import read_list, validate_list
from filrouge.intake.kept import (
    is_kept_copy,
    kept_copy,
    read_kept,
    read_stored,
    stored_rows,
    without_rows,
)
from filrouge.intake.report import rejected_rows_csv, rejected_rows_of

TODAY = date(2026, 1, 1)
HEADER = ["Nom", "Prénom", "Date de naissance", "Code postal", "Nationalité", "Observations"]
ROWS = [
    ["Durand", "Hugo", "01/01/2005", "35000", "SECRET-NAT", "OBSERVATION-ZX81"],
    ["Petit", "Zoé", "31/02/2005", "35000", "SECRET-NAT2", "=1+1"],
]


def csv_bytes() -> bytes:
    lines = ["", ";".join(HEADER), *(";".join(r) for r in ROWS), "", ""]
    return "\r\n".join(lines).encode("utf-8-sig")


def workbook() -> bytes:
    """A first sheet with typed cells, an unknown column, a second sheet, document properties."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Nom", "Prénom", "Né(e) le", "CP", "Sortie le", "Remarque", "Niveau"])
    sheet.append(["Durand", "Hugo", date(2005, 1, 1), 35000, datetime(2025, 6, 30), "REM-QX7", 4.5])
    sheet.append(["Petit", "Zoé", "31/02/2005", "1000", None, "REM-QX8", "CAP"])
    book.create_sheet("Suivi").append(["Santé de Hugo : SHEET2-ASTHME"])
    book.properties.creator = "AUTEUR-PROPRIETE-K9"
    book.properties.title = "TITRE-PROPRIETE-K9"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_a_csv_keeps_its_recognised_columns_only_and_reads_the_same() -> None:
    parsed = read_list(csv_bytes())

    kept = kept_copy(parsed)

    assert is_kept_copy(kept) and not is_kept_copy(csv_bytes())
    assert b"SECRET" not in kept and b"OBSERVATION" not in kept and b"=1+1" not in kept
    again = read_kept(kept)
    assert again.rows == parsed.rows  # same row numbers, same values
    _, report = validate_list(again, TODAY)
    assert [r.row_number for r in report.rejected] == [4]
    assert "Durand" in kept.decode()  # plain text: what is kept can be searched


def test_a_workbook_keeps_neither_other_sheets_nor_unknown_columns_nor_properties() -> None:
    parsed = read_list(workbook())

    kept = kept_copy(parsed)

    for secret in ("REM-QX", "SHEET2", "ASTHME", "PROPRIETE", "Suivi"):
        assert secret not in kept.decode(), secret
    again = read_kept(kept)
    assert again.rows == parsed.rows
    first = again.rows[0].values
    assert first["birth_date"] == datetime(2005, 1, 1)  # openpyxl reads a date cell so
    assert type(first["postal_code"]) is int and type(first["level"]) is float
    for before, after in zip(parsed.rows, again.rows, strict=True):
        assert {k: type(v) for k, v in before.values.items()} == {
            k: type(v) for k, v in after.values.items()
        }
    valid, report = validate_list(again, TODAY)
    original_valid, original_report = validate_list(parsed, TODAY)
    assert valid == original_valid and report.rejected == original_report.rejected


def test_rows_are_removed_from_a_kept_copy() -> None:
    kept = kept_copy(read_list(csv_bytes()))

    smaller, removed = without_rows(kept, lambda row: row.values["last_name"] == "Durand")

    assert removed == 1 and b"Durand" not in smaller and b"Hugo" not in smaller
    assert [row.row_number for row in read_kept(smaller).rows] == [4]


def test_a_list_stored_as_sent_before_kept_copies_still_reads() -> None:
    assert read_stored(csv_bytes()).rows == read_list(csv_bytes()).rows
    assert read_stored(kept_copy(read_list(csv_bytes()))).rows == read_list(csv_bytes()).rows


def test_a_kept_copy_has_a_header_line_then_one_line_per_row() -> None:
    lines = kept_copy(read_list(csv_bytes())).splitlines()

    assert json.loads(lines[0])["fields"] == [
        "last_name",
        "first_name",
        "birth_date",
        "postal_code",
    ]
    assert [json.loads(line)[0] for line in lines[1:]] == [3, 4]  # spreadsheet row numbers


def test_the_rejected_rows_read_one_at_a_time_are_those_of_the_report() -> None:
    for original in (csv_bytes(), workbook()):
        parsed = read_list(original)
        _, report = validate_list(parsed, TODAY)

        streamed = rejected_rows_of(stored_rows(kept_copy(parsed)), TODAY)

        assert streamed == rejected_rows_csv(report, parsed.rows)
        assert len(streamed.splitlines()) == 2  # the header and the row of 31/02/2005
