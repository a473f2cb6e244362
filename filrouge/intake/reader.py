"""Read an uploaded list (CSV or XLSX bytes) into mapped raw rows, or fail with one clear error."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, BinaryIO

from filrouge.intake.columns import HeaderMapping, map_headers

CellValue = str | int | float | date | datetime | None

_XLSX_MAGIC = b"PK\x03\x04"
_XLS_MAGIC = b"\xd0\xcf\x11\xe0"
_UTF8_BOM = b"\xef\xbb\xbf"
_CONTENT_TYPES = "[Content_Types].xml"
_MAX_CONTENT_TYPES_BYTES = 1024 * 1024
_SPREADSHEET_TYPE = b"spreadsheetml"
_SHEETS = "xl/worksheets/"
HEAD_BYTES = 64 * 1024
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_OTHER_FORMATS = (
    b"%PDF",
    b"\x89PNG",
    b"\xff\xd8\xff",
    b"GIF8",
    b"\x1f\x8b",
    b"7z\xbc\xaf",
    b"Rar!",
)
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_MOJIBAKE = re.compile("Ã[\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u2013-\u203a]")
_MAX_NON_ASCII_RATIO = 0.3
_NOT_A_LIST = (
    "Le fichier n'est ni un CSV ni un classeur XLSX lisible : "
    "enregistrez la liste au format CSV (séparateur « ; ») ou XLSX."
)


class IntakeFileError(Exception):
    """The uploaded file as a whole cannot be read; the message is French and user-facing."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class IntakeLimits:
    """Size limits of one uploaded list."""

    max_bytes: int = 20 * 1024 * 1024
    max_rows: int = 50_000
    max_uncompressed_bytes: int = 200 * 1024 * 1024
    # The API reads an XLSX's header only when what openpyxl loads whole to open a workbook
    # (everything but the sheets, which it streams: shared strings, styles...) is this small.
    header_check_bytes: int = 2 * 1024 * 1024


@dataclass(frozen=True)
class RawRow:
    """One data row: its spreadsheet row number and the cells of the recognised columns."""

    row_number: int
    values: dict[str, CellValue]


@dataclass(frozen=True)
class ParsedList:
    """A whole list, fully read and checked before anything is imported."""

    file_format: str
    columns: HeaderMapping
    rows: tuple[RawRow, ...]
    encoding: str | None = None
    delimiter: str | None = None
    unnamed_columns: tuple[str, ...] = field(default=())

    def __iter__(self) -> Iterator[RawRow]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    @property
    def ignored_columns(self) -> tuple[str, ...]:
        """Unknown columns and data found under no header, listed for the report."""
        return self.columns.ignored_columns + self.unnamed_columns


def read_list(data: bytes, limits: IntakeLimits | None = None) -> ParsedList:
    """Read CSV or XLSX bytes; raise IntakeFileError with a French message if unusable."""
    return read_list_file(io.BytesIO(data), limits)


def read_list_file(file: BinaryIO, limits: IntakeLimits | None = None) -> ParsedList:
    """Read a CSV or XLSX file (an XLSX sheet is streamed, never loaded whole)."""
    limits = limits or IntakeLimits()
    head = _head(file, HEAD_BYTES)
    if _file_kind(head, _size(file), limits) == "xlsx":
        return _read_xlsx(file, limits)
    return _read_csv(file.read(), limits)


def check_upload(file: BinaryIO, limits: IntakeLimits | None = None) -> str:
    """The checks an upload can pass or fail cheaply, before it is stored and read: its size
    and first bytes, an XLSX's archive directory, a CSV's text and header (the first 64 KiB).
    Returns the file's format; leaves the file at its start."""
    limits = limits or IntakeLimits()
    size = _size(file)
    head = _head(file, HEAD_BYTES)
    kind = _file_kind(head, size, limits)
    if kind == "xlsx":
        if _check_archive(file, limits) <= limits.header_check_bytes:
            _check_xlsx_header(file)
    elif size <= HEAD_BYTES:
        _read_csv(head, limits)  # the whole file: every check of the worker's
    else:
        _check_csv_header(head[: head.rfind(b"\n") + 1] or head)
    file.seek(0)
    return kind


def _size(file: BinaryIO) -> int:
    size = file.seek(0, io.SEEK_END)
    file.seek(0)
    return size


def _head(file: BinaryIO, length: int) -> bytes:
    head = file.read(length)
    file.seek(0)
    return head


def _file_kind(head: bytes, size: int, limits: IntakeLimits) -> str:
    """'xlsx' or 'csv' from the first bytes, or IntakeFileError (empty, too big, not a list)."""
    if not head.removeprefix(_UTF8_BOM).strip() and size <= len(head):
        raise IntakeFileError("Le fichier est vide.")
    if size > limits.max_bytes:
        raise IntakeFileError(
            f"Le fichier dépasse la taille maximale autorisée ({_size_text(limits.max_bytes)})."
        )
    if head.startswith(_XLS_MAGIC):
        raise IntakeFileError(
            "Le format Excel 97-2003 (.xls) n'est pas pris en charge : "
            "enregistrez la liste au format XLSX ou CSV."
        )
    if head.startswith(_XLSX_MAGIC):
        return "xlsx"
    if head.startswith(_OTHER_FORMATS):
        raise IntakeFileError(_NOT_A_LIST)
    return "csv"


def _size_text(size: int) -> str:
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} Ko"
    return f"{size / (1024 * 1024):.0f} Mo"


def _count(number: int) -> str:
    return f"{number:,}".replace(",", " ")


def _read_csv(data: bytes, limits: IntakeLimits) -> ParsedList:
    text, encoding = _decode(data)
    delimiter = _sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header, rows, unnamed = _collect(enumerate(reader, start=1), limits)
    except csv.Error as error:
        raise IntakeFileError(
            f"Le fichier CSV est mal formé près de la ligne {reader.line_num} "
            "(guillemet non fermé ?)."
        ) from error
    return ParsedList("csv", header, rows, encoding, delimiter, unnamed)


def _check_csv_header(head: bytes) -> None:
    """The text and the header of the first lines of a longer CSV file."""
    text, _ = _decode(head)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_sniff_delimiter(text))
    try:
        _find_header(enumerate(reader, start=1))
    except csv.Error:
        return  # a quoted field cut by the 64 KiB: the whole file is read by the worker


def _decode(data: bytes) -> tuple[str, str]:
    if data.startswith(_UTF16_BOMS):
        raise IntakeFileError(
            "L'encodage UTF-16 (« texte Unicode ») n'est pas pris en charge : "
            "enregistrez la liste en « CSV UTF-8 »."
        )
    if b"\x00" in data:
        raise IntakeFileError(_NOT_A_LIST)
    try:
        text, encoding = data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        try:
            text, encoding = data.decode("cp1252"), "windows-1252"
        except UnicodeDecodeError as error:
            raise IntakeFileError(_NOT_A_LIST) from error
    _check_text(text)
    return text, encoding


def _check_text(text: str) -> None:
    if _CONTROL_CHARS.search(text):
        raise IntakeFileError(_NOT_A_LIST)
    non_ascii = len(text) - len(text.encode("ascii", "ignore"))
    if non_ascii > _MAX_NON_ASCII_RATIO * len(text) or _MOJIBAKE.search(text):
        raise IntakeFileError(
            "Le texte du fichier est illisible (encodage incorrect) : "
            "enregistrez la liste en « CSV UTF-8 » ou en CSV Windows (point-virgule)."
        )


def _sniff_delimiter(text: str) -> str:
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    unquoted = re.sub(r'"[^"]*"', "", first_line)
    counts = {delimiter: unquoted.count(delimiter) for delimiter in (";", ",", "\t")}
    best = max(counts, key=lambda delimiter: counts[delimiter])
    return best if counts[best] else ";"


def _read_xlsx(file: BinaryIO, limits: IntakeLimits) -> ParsedList:
    _check_archive(file, limits)
    workbook = _open_workbook(file)
    try:
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()  # trust the cells, not a possibly wrong stored dimension
        cells = sheet.iter_rows(values_only=True)
        header, rows, unnamed = _collect(enumerate(cells, start=1), limits)
    finally:
        workbook.close()
    return ParsedList("xlsx", header, rows, unnamed_columns=unnamed)


def _check_xlsx_header(file: BinaryIO) -> None:
    """The header of the first sheet, read as the worker reads it (its first rows only)."""
    workbook = _open_workbook(file)
    try:
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()
        _find_header(enumerate(sheet.iter_rows(values_only=True), start=1))
    finally:
        workbook.close()
        file.seek(0)


def _check_archive(file: BinaryIO, limits: IntakeLimits) -> int:
    """A spreadsheet archive within the unpacked size limit, from its directory alone.
    Returns the unpacked size of what is not a sheet (what opening the workbook loads)."""
    try:
        with zipfile.ZipFile(file) as archive:
            entries = archive.infolist()
            types = next((e for e in entries if e.filename == _CONTENT_TYPES), None)
            if types is None or types.file_size > _MAX_CONTENT_TYPES_BYTES:
                raise IntakeFileError(_NOT_A_LIST)
            if _SPREADSHEET_TYPE not in archive.read(types):
                raise IntakeFileError(_NOT_A_LIST)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, OSError) as error:
        raise IntakeFileError(_NOT_A_LIST) from error
    finally:
        file.seek(0)
    if sum(entry.file_size for entry in entries) > limits.max_uncompressed_bytes:
        raise IntakeFileError(
            "Le classeur est trop volumineux une fois décompressé "
            f"(plus de {_size_text(limits.max_uncompressed_bytes)})."
        )
    return sum(e.file_size for e in entries if not e.filename.startswith(_SHEETS))


def _open_workbook(file: BinaryIO) -> Any:
    from openpyxl import load_workbook  # imported here: only XLSX uploads pay for it

    try:
        workbook = load_workbook(file, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many types for a damaged or foreign archive
        raise IntakeFileError(_NOT_A_LIST) from error
    if not workbook.worksheets:
        workbook.close()
        raise IntakeFileError("Le classeur ne contient aucune feuille.")
    return workbook


def _collect(
    records: Iterable[tuple[int, Sequence[Any]]], limits: IntakeLimits
) -> tuple[HeaderMapping, tuple[RawRow, ...], tuple[str, ...]]:
    """Find the header (first non-blank row), then map every non-blank row after it."""
    iterator = iter(records)
    header = _find_header(iterator)
    rows: list[RawRow] = []
    unnamed: set[int] = set()
    for number, cells in iterator:
        if _is_blank(cells):
            continue
        if len(rows) >= limits.max_rows:
            raise IntakeFileError(
                "La liste dépasse le nombre maximal de lignes autorisé "
                f"({_count(limits.max_rows)})."
            )
        rows.append(RawRow(number, _map_cells(header, cells)))
        unnamed.update(_unnamed_indexes(header, cells))
    if not rows:
        raise IntakeFileError("La liste ne contient aucune ligne de données sous l'en-tête.")
    labels = tuple(f"colonne sans en-tête n° {index + 1}" for index in sorted(unnamed))
    return header, tuple(rows), labels


def _find_header(iterator: Iterator[tuple[int, Sequence[Any]]]) -> HeaderMapping:
    for _number, cells in iterator:
        if _is_blank(cells):
            continue
        header = map_headers([None if cell is None else str(cell) for cell in cells])
        if not header.fields:
            raise IntakeFileError(
                "Aucune colonne reconnue dans la première ligne : la liste doit commencer "
                "par une ligne d'en-tête (Nom ; Prénom ; Date de naissance ; Code postal...)."
            )
        missing = header.missing_required()
        if missing:
            raise IntakeFileError("Colonnes obligatoires absentes : " + ", ".join(missing) + ".")
        return header
    raise IntakeFileError("Le fichier ne contient aucune ligne d'en-tête.")


def _is_blank(cells: Sequence[Any]) -> bool:
    return all(cell is None or (isinstance(cell, str) and not cell.strip()) for cell in cells)


def _map_cells(header: HeaderMapping, cells: Sequence[Any]) -> dict[str, CellValue]:
    values: dict[str, CellValue] = {}
    for index, name in header.fields.items():
        values[name] = _cell_value(cells[index]) if index < len(cells) else None
    return values


def _cell_value(cell: Any) -> CellValue:
    if isinstance(cell, bool):
        return str(cell)
    if cell is None or isinstance(cell, str | int | float | date):
        return cell
    return str(cell)  # times, booleans stored as text, error codes...


def _unnamed_indexes(header: HeaderMapping, cells: Sequence[Any]) -> list[int]:
    width = len(header.headers)
    return [
        index
        for index, cell in enumerate(cells)
        if (index >= width or not header.headers[index]) and not _is_blank([cell])
    ]
