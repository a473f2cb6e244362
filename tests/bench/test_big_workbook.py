"""The upload-memory benchmark's workbook lands on its sizes and reads as a list."""

from __future__ import annotations

import zipfile
from pathlib import Path

from bench.big_workbook import (
    MIB,
    PADDING_COLUMNS,
    write_big_workbook,
    write_shared_strings_workbook,
)
from filrouge.intake.kept import kept_copy
from filrouge.intake.reader import IntakeLimits, check_upload, read_list_file


def test_the_workbook_has_its_sizes_and_only_its_list_is_kept(tmp_path: Path) -> None:
    packed, unpacked = MIB // 2, 5 * MIB

    big = write_big_workbook(tmp_path / "liste.xlsx", 60, packed, unpacked)

    assert abs(big.packed_bytes - packed) < 0.1 * packed, big
    assert abs(big.unpacked_bytes - unpacked) < 0.05 * unpacked, big
    with big.path.open("rb") as file:
        parsed = read_list_file(file)
    assert len(parsed) == 60 and parsed.ignored_columns == PADDING_COLUMNS
    assert len(kept_copy(parsed)) < 30_000  # the padding is not kept


def test_the_shared_strings_workbook_is_read_by_the_api_check(tmp_path: Path) -> None:
    target = 200_000

    book = write_shared_strings_workbook(tmp_path / "liste.xlsx", target)

    with zipfile.ZipFile(book.path) as archive:
        strings = archive.getinfo("xl/sharedStrings.xml").file_size
    assert target <= strings < target + 1_000
    with book.path.open("rb") as file:
        assert check_upload(file, IntakeLimits(header_check_bytes=strings + 10_000)) == "xlsx"
        assert len(read_list_file(file)) == book.rows
