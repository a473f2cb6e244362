"""The cheap checks of an upload, made before it is stored: first bytes, archive, CSV header."""

from __future__ import annotations

import io
import zipfile

import pytest

from filrouge.intake import IntakeFileError, IntakeLimits, read_list
from filrouge.intake.reader import HEAD_BYTES, check_upload
from tests.filrouge.intake.test_reader import HEADER, xlsx

ROW = "Martin;Léa;01/02/2006;35000\n"


def checked(data: bytes, limits: IntakeLimits | None = None) -> str:
    file = io.BytesIO(data)
    kind = check_upload(file, limits)
    assert file.tell() == 0  # left at its start, for storing
    return kind


def refused_early(data: bytes, limits: IntakeLimits | None = None) -> str:
    with pytest.raises(IntakeFileError) as caught:
        checked(data, limits)
    return caught.value.message


def a_zip(**members: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\xef\xbb\xbf \r\n",
        b"%PDF-1.4 x",
        b"PK\x03\x04 not really a zip",
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(64),
        f"{HEADER}\n".encode("utf-16"),
        b"Nom;Adresse\nMartin;3 rue X\n",
        f"{HEADER}\n;;;\n".encode(),
        b"Martin;L\xc3\xa9a;01/02/2006;35000\n",
        a_zip(readme=b"hello"),
    ],
)
def test_what_is_cheap_to_see_is_refused_before_storing_with_the_readers_message(
    data: bytes,
) -> None:
    with pytest.raises(IntakeFileError) as caught:
        read_list(data)
    assert refused_early(data) == caught.value.message


def test_a_word_document_is_not_a_workbook() -> None:
    document = a_zip(**{"[Content_Types].xml": b"<Types>wordprocessingml</Types>"})
    assert "ni un CSV ni un classeur XLSX" in refused_early(document)


def test_a_long_csv_is_judged_by_its_first_lines() -> None:
    good = (f"{HEADER}\n" + ROW * (3 * HEAD_BYTES // len(ROW))).encode()
    assert len(good) > HEAD_BYTES and checked(good) == "csv"
    no_first_name = good.replace("Prénom".encode(), b"Pseudo", 1)
    assert "Colonnes obligatoires absentes : Prénom" in refused_early(no_first_name)
    too_many = IntakeLimits(max_rows=10)  # counting rows needs the whole file: the worker's
    assert checked(good, too_many) == "csv"


def test_a_workbook_is_checked_by_its_directory_and_its_header() -> None:
    no_columns = xlsx([["Pseudo", "Remarque"], ["Léa", "sympa"]])
    assert "Aucune colonne reconnue" in refused_early(no_columns)
    assert "Colonnes obligatoires absentes" in refused_early(xlsx([["Nom"], ["Martin"]]))
    assert checked(xlsx([["Nom", "Prénom", "DDN", "CP"]])) == "xlsx"  # rows: the worker's
    limits = IntakeLimits(max_uncompressed_bytes=100)
    assert "décompressé" in refused_early(no_columns, limits)


def test_a_workbook_costly_to_open_is_left_to_the_worker() -> None:
    no_columns = xlsx([["Pseudo", "Remarque"], ["Léa", "sympa"]])
    assert checked(no_columns, IntakeLimits(header_check_bytes=100)) == "xlsx"


def test_size_limit() -> None:
    data = (f"{HEADER}\n" + ROW * 100).encode()
    assert "taille maximale" in refused_early(data, IntakeLimits(max_bytes=1024))
