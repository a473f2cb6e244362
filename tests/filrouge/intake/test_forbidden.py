"""The kept copy of an uploaded list holds no value of a forbidden column."""

from __future__ import annotations

import io
from datetime import date

from openpyxl import Workbook, load_workbook

from filrouge.intake import read_list, validate_list
from filrouge.intake.forbidden import without_forbidden_values

ROWS = [
    ["Durand", "Hugo", "01/01/2005", "35000", "SECRET-NAT", "asthme", "ok"],
    ["Petit", "Zoé", "31/02/2005", "35000", "SECRET-NAT2", "", "=1+1"],
]
HEADER = ["Nom", "Prénom", "Date de naissance", "Code postal", "Nationalité", "PAI", "Note"]


def csv_bytes(delimiter: str, encoding: str) -> bytes:
    lines = ["", delimiter.join(HEADER), *(delimiter.join(r) for r in ROWS), "", ""]
    return "\r\n".join(lines).encode(encoding)


def test_csv_forbidden_cells_are_emptied_and_the_rest_reads_the_same() -> None:
    for delimiter, encoding in ((";", "utf-8-sig"), (",", "cp1252")):
        original = csv_bytes(delimiter, encoding)
        parsed = read_list(original)

        kept = without_forbidden_values(original, parsed)

        assert b"SECRET" not in kept and b"asthme" not in kept
        again = read_list(kept)
        assert again.rows == parsed.rows  # same row numbers, same values
        assert again.columns.dropped_forbidden_columns == ("Nationalité", "PAI")
        assert again.ignored_columns == ("Note",)
        _, report = validate_list(again, date(2026, 1, 1))
        assert [r.row_number for r in report.rejected] == [4]


def test_a_list_without_forbidden_columns_is_kept_as_sent() -> None:
    original = b"Nom;Prenom;Date de naissance;CP\nDurand;Hugo;01/01/2005;35000\n"
    assert without_forbidden_values(original, read_list(original)) == original


def test_xlsx_forbidden_cells_and_other_sheets_are_dropped() -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADER)
    for row in ROWS:
        sheet.append(row)
    book.create_sheet("Notes").append(["Santé de Hugo : asthme"])
    buffer = io.BytesIO()
    book.save(buffer)
    parsed = read_list(buffer.getvalue())

    kept = without_forbidden_values(buffer.getvalue(), parsed)

    again = read_list(kept)
    assert again.rows == parsed.rows
    assert again.columns.dropped_forbidden_columns == ("Nationalité", "PAI")
    reloaded = load_workbook(io.BytesIO(kept))
    assert reloaded.sheetnames == [sheet.title]
    values = [c for row in reloaded.worksheets[0].iter_rows(values_only=True) for c in row]
    assert not any(isinstance(v, str) and ("SECRET" in v or "asthme" in v) for v in values)
