"""The import report, the rejected-rows file (formula-safe), and the synthetic list generator."""

import csv
import io
from datetime import date, datetime

import pytest

from filrouge.intake import (
    FieldError,
    ImportReport,
    InFileDuplicate,
    RawRow,
    RejectedRow,
    read_list,
    rejected_rows_csv,
    validate_list,
)
from filrouge.intake.report import escape_formula
from filrouge.intake.synthetic import COMMUNES, generate_list, planned_counts

TODAY = date(2025, 6, 15)
HEADER = "Nom;Prénom;Date de naissance;Code postal;Téléphone;Santé"


def parse_csv(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=";"))


def test_rejected_rows_file_holds_original_values_row_numbers_and_reasons() -> None:
    text = (
        f"{HEADER}\n"
        "Martin;Léa;01/02/2006;35000;0612345678;asthme\n"
        ";Jo;14/03/08;35000;06 12;asthme\n"
    )
    parsed = read_list(text.encode())
    _, report = validate_list(parsed, TODAY)
    data = rejected_rows_csv(report, parsed)
    assert b"\r\n" in data
    header, *rows = parse_csv(data)
    assert header == [
        "Ligne",
        "Nom",
        "Prénom",
        "Date de naissance",
        "Code postal",
        "Téléphone",
        "Motifs du rejet",
    ]
    assert rows == [
        [
            "3",
            "",
            "Jo",
            "14/03/08",
            "35000",
            "06 12",
            "Nom : champ obligatoire manquant ; Date de naissance : année sur 2 chiffres : "
            "indiquez l'année complète (jj/mm/aaaa) ; Téléphone : numéro de téléphone "
            "invalide (10 chiffres attendus)",
        ]
    ]
    assert b"asthme" not in data and "Santé" not in header


def test_xlsx_cells_are_written_as_text() -> None:
    raw = RawRow(
        4, {"last_name": "Roux", "birth_date": datetime(2015, 1, 2), "postal_code": 35000.0}
    )
    report = ImportReport(rows_read=1, rejected=[RejectedRow(4, [FieldError("Nom", "x")])])
    _, row = parse_csv(rejected_rows_csv(report, [raw]))
    assert row == ["4", "Roux", "02/01/2015", "35000", "Nom : x"]


@pytest.mark.parametrize(
    "value",
    [
        '=HYPERLINK("http://x","clic")',
        "+33 6 12 34 56 78",
        "-2+3",
        "@SUM(A1)",
        "\tx",
        "\r=1",
        " =1",
    ],
)
def test_formula_injection_is_neutralised(value: str) -> None:
    assert escape_formula(value) == "'" + value
    raw = RawRow(2, {"last_name": value, "first_name": "Léa"})
    report = ImportReport(rows_read=1, rejected=[RejectedRow(2, [FieldError("Nom", "x")])])
    _, row = parse_csv(rejected_rows_csv(report, [raw]))
    assert row[1] == "'" + value


@pytest.mark.parametrize("value", ["Martin", "O'Neil", "06 12 34 56 78", "", "Jean-Pierre"])
def test_ordinary_values_are_left_alone(value: str) -> None:
    assert escape_formula(value) == value


def test_rejected_rows_can_be_corrected_and_reimported() -> None:
    text = f"{HEADER}\nMartin;Léa;01/02/2006;35000;+33 6 12 34 56 78 x;\n"
    parsed = read_list(text.encode())
    _, report = validate_list(parsed, TODAY)
    assert len(report.rejected) == 1
    corrected = rejected_rows_csv(report, parsed).replace(b" x;", b";")
    reparsed = read_list(corrected)
    assert reparsed.ignored_columns == ("Ligne", "Motifs du rejet")
    valid, again = validate_list(reparsed, TODAY)
    assert not again.rejected
    assert valid[0].phone == "0612345678"


def test_no_rejection_gives_a_header_only_file() -> None:
    assert parse_csv(rejected_rows_csv(ImportReport(), [])) == [["Ligne", "Motifs du rejet"]]


def test_every_row_is_accounted_for() -> None:
    report = ImportReport(
        rows_read=10,
        created=4,
        reidentified=2,
        possible_duplicates=1,
        rejected=[RejectedRow(3, [FieldError("Nom", "champ obligatoire manquant")])] * 2,
        duplicates_in_file=[InFileDuplicate(9, 2)],
    )
    assert report.accounted_rows == report.rows_read


def test_summary_in_french() -> None:
    report = ImportReport(
        rows_read=3,
        created=1,
        rejected=[RejectedRow(2, [FieldError("Nom", "champ obligatoire manquant")])],
        duplicates_in_file=[InFileDuplicate(4, 3)],
        ignored_columns=["Observations"],
        dropped_forbidden_columns=["Santé"],
    )
    summary = report.summary_fr()
    assert "Lignes lues : 3" in summary
    assert "Dossiers créés : 1" in summary
    assert "Lignes rejetées : 1" in summary
    assert "Doublons dans le fichier (même INE) : 1" in summary
    assert "Colonnes interdites écartées (non enregistrées) : Santé" in summary
    assert "Colonnes ignorées : Observations" in summary


@pytest.mark.parametrize(
    ("rows", "faulty_ratio", "duplicate_ratio"),
    [(2000, 0.05, 0.05), (500, 0.1, 0.0), (300, 0.0, 0.2), (1, 0.05, 0.05), (10, 0.5, 0.5)],
)
def test_synthetic_list_has_the_planned_faulty_and_duplicate_rows(
    rows: int, faulty_ratio: float, duplicate_ratio: float
) -> None:
    data = generate_list(rows, 11, faulty_ratio, duplicate_ratio, identified_on=TODAY)
    counts = planned_counts(rows, faulty_ratio, duplicate_ratio)
    parsed = read_list(data)
    valid, report = validate_list(parsed, TODAY)
    assert report.rows_read == rows
    assert len(report.rejected) == counts.faulty
    assert len(report.duplicates_in_file) == counts.duplicates
    assert len(valid) == counts.valid_unique


def test_synthetic_list_is_deterministic_and_realistic() -> None:
    data = generate_list(1000, 3, identified_on=TODAY)
    assert data == generate_list(1000, 3, identified_on=TODAY)
    assert data != generate_list(1000, 4, identified_on=TODAY)
    assert data.startswith(b"\xef\xbb\xbfINE;Nom;Pr")
    valid, _ = validate_list(read_list(data), TODAY)
    communes = {insee for insee, _, _ in COMMUNES}
    assert {row.commune_insee for row in valid} <= communes
    assert {"2A", "2B", "97", "35"} <= {row.commune_insee[:2] for row in valid if row.commune_insee}
    assert len({row.last_name.casefold() for row in valid}) > 150
    assert len({row.first_name for row in valid}) > 150
    assert sum(row.ine is not None for row in valid) > 0.95 * len(valid)
    assert all(row.guardian_name for row in valid if (TODAY - row.birth_date).days < 17 * 365)


def test_synthetic_faults_cover_every_kind() -> None:
    data = generate_list(2000, 5, faulty_ratio=0.1, identified_on=TODAY)
    _, report = validate_list(read_list(data), TODAY)
    messages = {error.message for rejected in report.rejected for error in rejected.errors}
    assert {
        "date inexistante",
        "année sur 2 chiffres : indiquez l'année complète (jj/mm/aaaa)",
        "moins de 16 ans à la date de repérage (règle CNIL)",
        "champ obligatoire manquant",
        "date de naissance dans le futur",
        "code commune INSEE ou code postal obligatoire",
        "numéro de téléphone invalide (10 chiffres attendus)",
        "adresse électronique invalide",
        "date de sortie antérieure à la date de naissance",
    } <= messages
