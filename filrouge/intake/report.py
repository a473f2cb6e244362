"""The import report: every row accounted for, and the rejected rows as a safe CSV file."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from filrouge.intake.columns import COLUMNS
from filrouge.intake.reader import CellValue, ParsedList, RawRow
from filrouge.intake.validate import (
    InFileDuplicate,
    RejectedRow,
    ValidRow,
    split_in_file_duplicates,
    validate_row,
)

ROW_NUMBER_HEADER = "Ligne"
REASONS_HEADER = "Motifs du rejet"
_FORMULA_MARKERS = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class ImportReport:
    """What one import did with each row of the list (reidentified includes reopened cases)."""

    rows_read: int = 0
    created: int = 0
    reidentified: int = 0
    possible_duplicates: int = 0
    rejected: list[RejectedRow] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    dropped_forbidden_columns: list[str] = field(default_factory=list)
    duplicates_in_file: list[InFileDuplicate] = field(default_factory=list)

    @property
    def accounted_rows(self) -> int:
        """Rows with a known fate; equals rows_read once the import is complete."""
        outcomes = self.created + self.reidentified + self.possible_duplicates
        return outcomes + len(self.rejected) + len(self.duplicates_in_file)

    def summary_fr(self) -> str:
        """A short French summary for the coordinators' e-mail and the command line."""
        lines = [
            f"Lignes lues : {self.rows_read}",
            f"Dossiers créés : {self.created}",
            f"Repérages ajoutés à des dossiers existants : {self.reidentified}",
            f"Doublons possibles à examiner : {self.possible_duplicates}",
            f"Doublons dans le fichier (même INE) : {len(self.duplicates_in_file)}",
            f"Lignes rejetées : {len(self.rejected)}",
        ]
        if self.dropped_forbidden_columns:
            dropped = ", ".join(self.dropped_forbidden_columns)
            lines.append(f"Colonnes interdites écartées (non enregistrées) : {dropped}")
        if self.ignored_columns:
            lines.append(f"Colonnes ignorées : {', '.join(self.ignored_columns)}")
        return "\n".join(lines)


def validate_list(parsed: ParsedList, identified_on: date) -> tuple[list[ValidRow], ImportReport]:
    """Validate every row of a list: the rows to import, and a report of everything else."""
    valid: list[ValidRow] = []
    report = ImportReport(
        rows_read=len(parsed),
        ignored_columns=list(parsed.ignored_columns),
        dropped_forbidden_columns=list(parsed.columns.dropped_forbidden_columns),
    )
    for raw in parsed:
        result = validate_row(raw.values, raw.row_number, identified_on)
        if isinstance(result, RejectedRow):
            report.rejected.append(result)
        else:
            valid.append(result)
    kept, report.duplicates_in_file = split_in_file_duplicates(valid)
    return kept, report


def rejected_rows_of(rows: Iterable[RawRow], identified_on: date) -> bytes:
    """The rejected-rows file of a list read one row at a time: only the rejected rows are held
    (the same rows and reasons as `validate_list`)."""
    report, originals = ImportReport(), []
    for raw in rows:
        result = validate_row(raw.values, raw.row_number, identified_on)
        if isinstance(result, RejectedRow):
            report.rejected.append(result)
            originals.append(raw)
    return rejected_rows_csv(report, originals)


def rejected_rows_csv(report: ImportReport, original_rows: Iterable[RawRow]) -> bytes:
    """The rejected rows with their original values and reasons, as an Excel-friendly CSV."""
    reasons = {rejected.row_number: rejected.reasons() for rejected in report.rejected}
    rows = [row for row in original_rows if row.row_number in reasons]
    present = {name for row in rows for name in row.values}
    columns = [column for column in COLUMNS if column.field in present]
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([ROW_NUMBER_HEADER, *(column.label for column in columns), REASONS_HEADER])
    for row in rows:
        cells = [_cell_text(row.values.get(column.field)) for column in columns]
        writer.writerow([str(row.row_number), *cells, reasons[row.row_number]])
    return buffer.getvalue().encode("utf-8-sig")


def _cell_text(cell: CellValue) -> str:
    if cell is None:
        return ""
    if isinstance(cell, datetime | date):
        return cell.strftime("%d/%m/%Y")
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)
    return escape_formula(str(cell))


def escape_formula(text: str) -> str:
    """Prefix a quote to text a spreadsheet would run as a formula."""
    if text.lstrip(" ").startswith(_FORMULA_MARKERS):
        return "'" + text
    return text
