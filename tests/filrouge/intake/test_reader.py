"""Reading uploaded lists: tolerant headers, encodings, delimiters, XLSX, and refused files."""

import io
import zipfile
from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import Workbook

from filrouge.intake import IntakeFileError, IntakeLimits, read_list, validate_list
from filrouge.intake.columns import COLUMNS, field_for_header, forbidden_category

HEADER = "Nom;Prénom;Date de naissance;Code postal"
SAMPLE = Path(__file__).parents[3] / "docs" / "samples" / "liste-siei-exemple.csv"


def xlsx(rows: list[list[object]], extra_sheet: bool = False) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    if extra_sheet:
        workbook.create_sheet("Autre").append(["Nom", "Prénom"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def refused(data: bytes, limits: IntakeLimits | None = None) -> str:
    with pytest.raises(IntakeFileError) as caught:
        read_list(data, limits)
    assert str(caught.value) == caught.value.message
    return caught.value.message


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("NOM", "last_name"),
        ("nom_de_famille", "last_name"),
        ("PRENOM", "first_name"),
        ("Prénom élève", "first_name"),
        ("DATE_NAISSANCE", "birth_date"),
        ("date-de-naissance", "birth_date"),
        ("DDN", "birth_date"),
        ("  Date  de   Naissance ", "birth_date"),
        ("CP", "postal_code"),
        ("code_postal", "postal_code"),
        ("Code INSEE", "commune_insee"),
        ("CODE COMMUNE INSEE", "commune_insee"),
        ("TEL", "phone"),
        ("Tél.", "phone"),
        ("Portable", "phone"),
        ("mail", "email"),
        ("E-mail", "email"),
        ("Courriel", "email"),
        ("RNE", "school_uai"),
        ("uai", "school_uai"),
        ("Etablissement d'origine", "school_name"),
        ("ÉTABLISSEMENT", "school_name"),
        ("date de sortie", "leaving_date"),
        ("Responsable légal", "guardian_name"),
        ("tel_representant_legal", "guardian_phone"),
        ("ine", "ine"),
        ("genre", "sex"),
    ],
)
def test_headers_are_matched_tolerantly(header: str, field: str) -> None:
    assert field_for_header(header) == field


def test_every_canonical_label_maps_to_its_field_and_none_is_forbidden() -> None:
    for column in COLUMNS:
        assert field_for_header(column.label) == column.field
        for name in (column.label, *column.aliases):
            assert forbidden_category(name) is None, name


@pytest.mark.parametrize(
    ("header", "category"),
    [
        ("Santé", "santé"),
        ("Problèmes de santé", "santé"),
        ("PAI", "santé"),
        ("Handicap", "handicap"),
        ("Reconnaissance MDPH", "handicap"),
        ("Nationalité", "nationalité"),
        ("situation_familiale", "situation familiale"),
        ("Casier judiciaire", "infractions"),
        ("Condamnations", "infractions"),
        ("Infraction", "infractions"),
        ("Religion", "religion et opinions"),
    ],
)
def test_forbidden_headers_are_recognised(header: str, category: str) -> None:
    assert forbidden_category(header) == category


def test_harmless_headers_containing_short_keywords_are_not_forbidden() -> None:
    assert forbidden_category("Paiement") is None
    assert forbidden_category("Faculté") is None


def test_forbidden_columns_are_dropped_and_unknown_ones_ignored() -> None:
    text = (
        f"{HEADER};Santé;Nationalité;Observations\nMartin;Léa;01/02/2006;35000;asthme;X;rappeler\n"
    )
    parsed = read_list(text.encode())
    assert parsed.columns.dropped_forbidden_columns == ("Santé", "Nationalité")
    assert parsed.ignored_columns == ("Observations",)
    values = parsed.rows[0].values
    assert set(values) == {"last_name", "first_name", "birth_date", "postal_code"}
    assert "asthme" not in repr(parsed)


def test_a_column_named_twice_keeps_the_first() -> None:
    parsed = read_list(f"{HEADER};Nom\nMartin;Léa;01/02/2006;35000;Autre\n".encode())
    assert parsed.rows[0].values["last_name"] == "Martin"
    assert parsed.ignored_columns == ("Nom",)


def test_data_under_no_header_is_listed_as_ignored() -> None:
    parsed = read_list(f"{HEADER};\nMartin;Léa;01/02/2006;35000;x;y\n".encode())
    assert parsed.ignored_columns == ("colonne sans en-tête n° 5", "colonne sans en-tête n° 6")


@pytest.mark.parametrize(
    ("encoding", "bom"),
    [("utf-8", b""), ("utf-8", b"\xef\xbb\xbf"), ("cp1252", b"")],
)
def test_both_encodings_with_or_without_bom(encoding: str, bom: bytes) -> None:
    data = bom + f"{HEADER}\nLefèvre;Zoé;01/02/2006;35000\n".encode(encoding)
    parsed = read_list(data)
    assert parsed.encoding == ("utf-8" if encoding == "utf-8" else "windows-1252")
    assert parsed.rows[0].values["last_name"] == "Lefèvre"
    assert parsed.rows[0].values["first_name"] == "Zoé"


@pytest.mark.parametrize("delimiter", [";", ",", "\t"])
def test_delimiter_is_sniffed(delimiter: str) -> None:
    lines = [["Nom", "Prénom", "Date de naissance", "CP"], ["Martin", "Léa", "01/02/2006", "35000"]]
    data = "\r\n".join(delimiter.join(line) for line in lines).encode()
    parsed = read_list(data)
    assert parsed.delimiter == delimiter
    assert parsed.rows[0].values["postal_code"] == "35000"


def test_quoted_fields_keep_delimiters_quotes_and_line_breaks() -> None:
    text = f'{HEADER};Adresse\nMartin;"Léa; dite ""Lili""";01/02/2006;35000;"3 rue X\nBât. B"\n'
    values = read_list(text.encode()).rows[0].values
    assert values["first_name"] == 'Léa; dite "Lili"'
    assert values["address"] == "3 rue X\nBât. B"


def test_delimiters_inside_quoted_headers_do_not_count() -> None:
    data = (
        '"Nom","Prénom","Date, de naissance","Code postal"\nMartin,Léa,01/02/2006,35000\n'.encode()
    )
    assert read_list(data).delimiter == ","


def test_row_numbers_follow_the_spreadsheet_and_blank_rows_are_skipped() -> None:
    text = f"\n{HEADER}\nMartin;Léa;01/02/2006;35000\n;;;\nDurand;Jo;01/02/2006;35000\n"
    parsed = read_list(text.encode())
    assert [row.row_number for row in parsed] == [3, 5]
    assert len(parsed) == 2


def test_short_rows_get_empty_values() -> None:
    parsed = read_list(f"{HEADER};Commune\nMartin;Léa\n".encode())
    assert parsed.rows[0].values["birth_date"] is None
    assert parsed.rows[0].values["commune_name"] is None


def test_xlsx_first_sheet_with_date_and_number_cells() -> None:
    data = xlsx(
        [
            ["NOM", "prenom", "Date_Naissance", "CP", "Code INSEE", "Téléphone"],
            ["Martin", "Léa", datetime(2006, 2, 1), 1000, "01053", 612345678],
            [None, None, None, None, None, None],
            ["Santoni", "Noé", date(2007, 4, 21), 20000, "2A004", "06 12 34 56 78"],
        ],
        extra_sheet=True,
    )
    parsed = read_list(data)
    assert parsed.file_format == "xlsx"
    assert [row.row_number for row in parsed] == [2, 4]
    assert parsed.rows[0].values["birth_date"] == datetime(2006, 2, 1)
    valid, report = validate_list(parsed, date(2025, 1, 1))
    assert not report.rejected
    assert (valid[0].postal_code, valid[0].phone) == ("01000", "0612345678")
    assert valid[1].birth_date == date(2007, 4, 21)


def test_xlsx_forbidden_column_is_dropped() -> None:
    data = xlsx(
        [["Nom", "Prénom", "DDN", "CP", "Handicap"], ["A", "B", "01/01/2006", "35000", "x"]]
    )
    parsed = read_list(data)
    assert parsed.columns.dropped_forbidden_columns == ("Handicap",)
    assert "x" not in parsed.rows[0].values.values()


def test_the_documented_sample_reads_as_described() -> None:
    parsed = read_list(SAMPLE.read_bytes())
    valid, report = validate_list(parsed, date(2025, 9, 1))
    assert report.dropped_forbidden_columns == ["Santé"]
    assert report.ignored_columns == ["Observations"]
    assert [rejected.row_number for rejected in report.rejected] == [11, 12, 13, 14]
    assert [(dup.row_number, dup.same_as_row) for dup in report.duplicates_in_file] == [(15, 3)]
    assert len(valid) == 9


@pytest.mark.parametrize("data", [b"", b"   \r\n \n", b"\xef\xbb\xbf"])
def test_empty_file(data: bytes) -> None:
    assert refused(data) == "Le fichier est vide."


@pytest.mark.parametrize(
    "data",
    [
        b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n",
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
        bytes(range(256)) * 4,
        b"Nom;Pr\x81nom;Date\n",  # byte undefined in Windows-1252
        b"PK\x03\x04 not really a zip",
    ],
)
def test_files_that_are_not_lists(data: bytes) -> None:
    assert "ni un CSV ni un classeur XLSX" in refused(data)


def test_a_zip_that_is_not_a_workbook() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "hello")
    assert "ni un CSV ni un classeur XLSX" in refused(buffer.getvalue())


def test_old_excel_format_is_named() -> None:
    assert ".xls" in refused(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512)


def test_utf16_is_refused_with_advice() -> None:
    assert "UTF-16" in refused(f"{HEADER}\n".encode("utf-16"))


def test_double_encoded_utf8_is_refused() -> None:
    garbled = f"{HEADER}\nLefèvre;Zoé;01/02/2006;35000\n".encode().decode("cp1252").encode()
    assert "encodage incorrect" in refused(garbled)


def test_text_in_an_unknown_encoding_is_refused() -> None:
    data = HEADER.encode() + b"\n" + bytes(range(0xA0, 0x100)) * 3 + b"\n"
    assert "encodage incorrect" in refused(data)


def test_no_header_row() -> None:
    assert "Aucune colonne reconnue" in refused(b"Martin;L\xc3\xa9a;01/02/2006;35000\n")


def test_missing_required_columns_are_named() -> None:
    message = refused(b"Nom;Adresse\nMartin;3 rue X\n")
    assert message == (
        "Colonnes obligatoires absentes : Prénom, Date de naissance, "
        "Code commune INSEE ou Code postal."
    )


def test_header_without_data() -> None:
    assert "aucune ligne de données" in refused(f"{HEADER}\n;;;\n".encode())


def test_unclosed_quote() -> None:
    data = f'{HEADER}\nMartin;"Léa;01/02/2006;35000\n'.encode() + b"x" * 140_000
    assert "mal formé" in refused(data)


def test_file_too_big() -> None:
    data = f"{HEADER}\n".encode() + b"Martin;Lea;01/02/2006;35000\n" * 100
    assert refused(data, IntakeLimits(max_bytes=1024)) == (
        "Le fichier dépasse la taille maximale autorisée (1 Ko)."
    )


def test_default_size_limit_is_20_megabytes() -> None:
    data = b"x" * (20 * 1024 * 1024 + 1)
    assert refused(data) == "Le fichier dépasse la taille maximale autorisée (20 Mo)."


@pytest.mark.parametrize("rows", [3, 4])
def test_row_limit_in_csv(rows: int) -> None:
    data = (f"{HEADER}\n" + "Martin;Léa;01/02/2006;35000\n" * rows).encode()
    limits = IntakeLimits(max_rows=3)
    if rows == 3:
        assert len(read_list(data, limits)) == 3
    else:
        assert refused(data, limits) == (
            "La liste dépasse le nombre maximal de lignes autorisé (3)."
        )


def test_row_limit_in_xlsx_and_default_limit_wording() -> None:
    rows: list[list[object]] = [["Nom", "Prénom", "DDN", "CP"]]
    rows += [["Martin", "Léa", "01/02/2006", "35000"]] * 5
    assert "(4)" in refused(xlsx(rows), IntakeLimits(max_rows=4))
    assert IntakeLimits().max_rows == 50_000


def test_xlsx_that_unpacks_too_big() -> None:
    data = xlsx([["Nom", "Prénom", "DDN", "CP"], ["A", "B", "01/01/2006", "35000"]])
    assert "décompressé" in refused(data, IntakeLimits(max_uncompressed_bytes=100))
