"""A large XLSX written straight as XML: a synthetic list whose unknown columns and second
sheet make it about 20 MB packed and 200 MB unpacked (the upload limits), in a few seconds.

The padding is random hexadecimal text (it packs to about half its size) and repeated text
(it packs to almost nothing), mixed row by row so that both sizes land on their targets.
"""

from __future__ import annotations

import csv
import io
import random
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO
from xml.sax.saxutils import escape

from filrouge.intake.synthetic import generate_list

MIB = 1024 * 1024
# Unknown columns (a cell holds at most 32,767 characters in Excel).
PADDING_COLUMNS = tuple(f"Observations {n}" for n in range(1, 9))
SECOND_SHEET_BYTES = 2 * MIB
_FILLER = "Texte libre répété pour grossir le classeur sans rien apprendre. "

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.'
    'openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/worksheets/sheet2.xml" ContentType="application/vnd.'
    'openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-'
    'package.core-properties+xml"/></Types>'
)
ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/'
    'relationships/metadata/core-properties" Target="docProps/core.xml"/></Relationships>'
)
WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
    '<sheet name="Liste" sheetId="1" r:id="rId1"/><sheet name="Suivi" sheetId="2" r:id="rId2"/>'
    "</sheets></workbook>"
)
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/worksheet" Target="worksheets/sheet2.xml"/></Relationships>'
)
CORE = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/'
    'core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/">'
    "<dc:creator>Établissement exportateur</dc:creator><dc:title>Liste SIEI</dc:title>"
    "</cp:coreProperties>"
)
SHEET_START = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
)
SHEET_END = "</sheetData></worksheet>"


@dataclass(frozen=True)
class BigWorkbook:
    path: Path
    rows: int
    packed_bytes: int
    unpacked_bytes: int


def write_big_workbook(
    path: Path, rows: int, packed_target: int, unpacked_target: int, seed: int = 2026
) -> BigWorkbook:
    """Write the workbook at `path`; its sizes land within a few percent of the targets."""
    rng = random.Random(seed)
    text = generate_list(rows, seed).decode("utf-8-sig")
    listed = list(csv.reader(io.StringIO(text), delimiter=";"))
    header, data = listed[0] + list(PADDING_COLUMNS), listed[1:]
    with path.open("wb") as raw, zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in (
            ("[Content_Types].xml", CONTENT_TYPES),
            ("_rels/.rels", ROOT_RELS),
            ("xl/workbook.xml", WORKBOOK),
            ("xl/_rels/workbook.xml.rels", WORKBOOK_RELS),
            ("docProps/core.xml", CORE),
        ):
            archive.writestr(name, text)
        with archive.open("xl/worksheets/sheet2.xml", "w") as sheet:
            second = _row(1, ["Suivi éducatif (à ne pas importer)"])
            filler = escape(_FILLER) * (SECOND_SHEET_BYTES // len(_FILLER))
            sheet.write((SHEET_START + second + _row(2, [filler]) + SHEET_END).encode())
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            padding = _Padding(rng, raw, packed_target, unpacked_target, len(data))
            sheet.write((SHEET_START + _row(1, header)).encode())
            for number, cells in enumerate(data, start=2):
                row = _row(number, cells + padding.cells())
                sheet.write(row.encode())
                padding.wrote(len(row.encode()))
            sheet.write(SHEET_END.encode())
    with zipfile.ZipFile(path) as archive:
        unpacked = sum(info.file_size for info in archive.infolist())
    return BigWorkbook(path, rows, path.stat().st_size, unpacked)


class _Padding:
    """Random and repeated text per row, steered by the packed size written so far."""

    def __init__(
        self, rng: random.Random, raw: IO[bytes], packed: int, unpacked: int, rows: int
    ) -> None:
        self.rng, self.raw = rng, raw
        self.packed, self.unpacked, self.rows = packed, unpacked, rows
        self.done_rows, self.done_bytes = 0, SECOND_SHEET_BYTES

    def cells(self) -> list[str]:
        """The padding cells of the next row."""
        size = max((self.unpacked - self.done_bytes) // (self.rows - self.done_rows) - 600, 0)
        behind = self.packed * (self.done_rows + 1) / self.rows - self.raw.tell()
        random_chars = int(size * min(max(2.0 * behind / max(size, 1), 0.0), 1.0)) & ~1
        repeated = _FILLER * ((size - random_chars) // len(_FILLER) + 1)
        text = (self.rng.randbytes(random_chars // 2).hex() + repeated)[:size]
        width = len(text) // len(PADDING_COLUMNS)
        return [text[i * width : (i + 1) * width] for i in range(len(PADDING_COLUMNS))]

    def wrote(self, size: int) -> None:
        self.done_rows += 1
        self.done_bytes += size


def _row(number: int, cells: list[str]) -> str:
    inner = "".join(
        f'<c r="{_column(index)}{number}" t="inlineStr"><is><t>{escape(text)}</t></is></c>'
        for index, text in enumerate(cells)
        if text
    )
    return f'<row r="{number}">{inner}</row>'


def _column(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


SHARED_STRINGS_TYPE = (
    '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.sharedStrings+xml"/>'
)


def write_shared_strings_workbook(path: Path, strings_bytes: int, seed: int = 2026) -> BigWorkbook:
    """A list as Excel saves it: every text in the shared-strings table (which opening a
    workbook loads whole), distinct texts until the table unpacks to about `strings_bytes`."""
    text = generate_list(max(strings_bytes // 200, 10), seed).decode("utf-8-sig")
    listed = list(csv.reader(io.StringIO(text), delimiter=";"))
    table: list[str] = []
    rows: list[str] = []
    size = 0
    for number, cells in enumerate(listed, start=1):
        refs = []
        for index, cell in enumerate(cells):
            if cell:
                refs.append(f'<c r="{_column(index)}{number}" t="s"><v>{len(table)}</v></c>')
                table.append(f"<si><t>{escape(cell)}</t></si>")
                size += len(table[-1].encode())
        rows.append(f'<row r="{number}">{"".join(refs)}</row>')
        if size >= strings_bytes:
            break
    strings = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><sst xmlns="http://schemas.'
        f'openxmlformats.org/spreadsheetml/2006/main" uniqueCount="{len(table)}">'
        + "".join(table)
        + "</sst>"
    )
    relations = WORKBOOK_RELS.replace(
        "</Relationships>",
        '<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>',
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in (
            (
                "[Content_Types].xml",
                CONTENT_TYPES.replace("</Types>", SHARED_STRINGS_TYPE + "</Types>"),
            ),
            ("_rels/.rels", ROOT_RELS),
            ("xl/workbook.xml", WORKBOOK),
            ("xl/_rels/workbook.xml.rels", relations),
            ("docProps/core.xml", CORE),
            ("xl/sharedStrings.xml", strings),
            ("xl/worksheets/sheet1.xml", SHEET_START + "".join(rows) + SHEET_END),
            ("xl/worksheets/sheet2.xml", SHEET_START + SHEET_END),
        ):
            archive.writestr(name, content)
    with zipfile.ZipFile(path) as archive:
        unpacked = sum(info.file_size for info in archive.infolist())
    return BigWorkbook(path, len(rows) - 1, path.stat().st_size, unpacked)


def iter_rows(path: Path) -> Iterator[tuple[object, ...]]:
    """The first sheet's rows (a check for the benchmark's own tests)."""
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True)
    try:
        yield from book.worksheets[0].iter_rows(values_only=True)
    finally:
        book.close()
