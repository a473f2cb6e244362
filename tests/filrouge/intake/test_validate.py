"""Row validation: normalisation, every rejection reason, and messages free of personal data."""

from dataclasses import replace
from datetime import date, datetime

import pytest
from sqlalchemy import inspect

from filrouge.intake import (
    RejectedRow,
    ValidRow,
    normalized_name_key,
    split_in_file_duplicates,
    validate_row,
)
from filrouge.intake.reader import CellValue
from filrouge.store.models import CaseIdentity

TODAY = date(2025, 6, 15)


def row(**changes: CellValue) -> dict[str, CellValue]:
    base: dict[str, CellValue] = {
        "ine": "1234567890a",
        "last_name": "Le Gall",
        "first_name": "Maëlle",
        "sex": "F",
        "birth_date": "14/03/2008",
        "address": "12 rue de Brest",
        "postal_code": "35000",
        "commune_name": "Rennes",
        "commune_insee": "35238",
        "phone": "06 12 34 56 78",
        "email": "Maelle.LeGall@Exemple.FR",
        "guardian_name": "Yannick Le Gall",
        "guardian_phone": "+33 6 98 76 54 32",
        "school_uai": "0350022k",
        "school_name": "Lycée Jean Jaurès",
        "last_training": "CAP Cuisine",
        "level": "CAP",
        "leaving_date": "2025-01-15",
    }
    return base | changes


def valid(**changes: CellValue) -> ValidRow:
    result = validate_row(row(**changes), 7, TODAY)
    assert isinstance(result, ValidRow), result
    return result


def rejected(**changes: CellValue) -> list[tuple[str, str]]:
    result = validate_row(row(**changes), 7, TODAY)
    assert isinstance(result, RejectedRow), result
    assert result.row_number == 7
    return [(error.column, error.message) for error in result.errors]


def test_a_complete_row_is_normalised() -> None:
    result = valid()
    assert result.row_number == 7
    assert result.ine == "1234567890A"
    assert result.birth_date == date(2008, 3, 14)
    assert result.leaving_date == date(2025, 1, 15)
    assert result.phone == "0612345678"
    assert result.guardian_phone == "0698765432"
    assert result.email == "Maelle.LeGall@exemple.fr"
    assert result.school_uai == "0350022K"


def test_identity_fields_match_the_case_identity_model() -> None:
    columns = {column.key for column in inspect(CaseIdentity).columns}
    fields = valid().identity_fields()
    assert set(fields) == columns - {"case_id", "convocation_consent", "name_key"}
    CaseIdentity(case_id="c1", **fields)


def test_only_required_fields() -> None:
    minimal: dict[str, CellValue] = {
        "last_name": "Martin",
        "first_name": "Léa",
        "birth_date": "01/02/2006",
        "commune_insee": "2a004",
    }
    result = validate_row(minimal, 2, TODAY)
    assert isinstance(result, ValidRow)
    assert result.commune_insee == "2A004"
    assert result.postal_code is None and result.ine is None


def test_whitespace_is_collapsed_and_empty_cells_are_absent() -> None:
    result = valid(last_name="  Le   Gall ", email="  ", address=None)
    assert result.last_name == "Le Gall"
    assert result.email is None and result.address is None


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("14/03/2008", date(2008, 3, 14)),
        ("4/3/2008", date(2008, 3, 4)),
        ("2008-03-14", date(2008, 3, 14)),
        ("14/03/2008 00:00", date(2008, 3, 14)),
        ("2008-03-14T00:00:00", date(2008, 3, 14)),
        (datetime(2008, 3, 14, 0, 0), date(2008, 3, 14)),
        (date(2008, 3, 14), date(2008, 3, 14)),
    ],
)
def test_accepted_dates(cell: CellValue, expected: date) -> None:
    assert valid(birth_date=cell).birth_date == expected


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        ("14/03/08", "année sur 2 chiffres : indiquez l'année complète (jj/mm/aaaa)"),
        ("14-03-08", "année sur 2 chiffres : indiquez l'année complète (jj/mm/aaaa)"),
        ("31/02/2008", "date inexistante"),
        ("2008-13-01", "date inexistante"),
        ("14.03.2008", "format de date invalide (attendu jj/mm/aaaa ou aaaa-mm-jj)"),
        ("mars 2008", "format de date invalide (attendu jj/mm/aaaa ou aaaa-mm-jj)"),
        (39521, "format de date invalide (attendu jj/mm/aaaa ou aaaa-mm-jj)"),
    ],
)
def test_rejected_dates(cell: CellValue, message: str) -> None:
    assert rejected(birth_date=cell) == [("Date de naissance", message)]


def test_sixteenth_birthday_on_the_identification_date_is_accepted() -> None:
    assert valid(birth_date="15/06/2009", leaving_date=None).birth_date == date(2009, 6, 15)


def test_one_day_short_of_sixteen_is_rejected() -> None:
    assert rejected(birth_date="16/06/2009", leaving_date=None) == [
        ("Date de naissance", "moins de 16 ans à la date de repérage (règle CNIL)")
    ]


def test_born_on_29_february_turns_sixteen_on_29_february() -> None:
    leap = row(birth_date="29/02/2008", leaving_date=None)
    assert isinstance(validate_row(leap, 2, date(2024, 2, 28)), RejectedRow)
    assert isinstance(validate_row(leap, 2, date(2024, 2, 29)), ValidRow)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"last_name": ""}, ("Nom", "champ obligatoire manquant")),
        ({"last_name": None}, ("Nom", "champ obligatoire manquant")),
        ({"first_name": "  "}, ("Prénom", "champ obligatoire manquant")),
        ({"first_name": "1234"}, ("Prénom", "doit contenir au moins une lettre")),
        ({"last_name": "A" * 101}, ("Nom", "trop long (100 caractères au maximum)")),
        ({"birth_date": ""}, ("Date de naissance", "champ obligatoire manquant")),
        (
            {"birth_date": "01/01/2030", "leaving_date": None},
            ("Date de naissance", "date de naissance dans le futur"),
        ),
        ({"birth_date": "01/01/1901"}, ("Date de naissance", "date de naissance invraisemblable")),
        (
            {"commune_insee": "", "postal_code": None},
            ("Code commune INSEE", "code commune INSEE ou code postal obligatoire"),
        ),
        (
            {"ine": "12345ABC"},
            (
                "INE",
                "format d'INE invalide (10 chiffres et 1 lettre, ou 9 chiffres et 2 lettres)",
            ),
        ),
        ({"school_uai": "035002K"}, ("UAI", "code UAI invalide (7 chiffres et 1 lettre)")),
        (
            {"commune_insee": "2C004"},
            ("Code commune INSEE", "code commune INSEE invalide (5 caractères)"),
        ),
        (
            {"commune_insee": "98735"},
            ("Code commune INSEE", "code commune INSEE invalide (département inconnu)"),
        ),
        ({"postal_code": "3500A"}, ("Code postal", "code postal invalide (5 chiffres)")),
        ({"postal_code": "00100"}, ("Code postal", "code postal invalide (5 chiffres)")),
        (
            {"phone": "06 12 34"},
            ("Téléphone", "numéro de téléphone invalide (10 chiffres attendus)"),
        ),
        (
            {"guardian_phone": "+44 20 7946 0958"},
            ("Téléphone représentant légal", "numéro de téléphone invalide (10 chiffres attendus)"),
        ),
        ({"email": "lea@@exemple.fr"}, ("Courriel", "adresse électronique invalide")),
        ({"email": "lea.exemple.fr"}, ("Courriel", "adresse électronique invalide")),
        ({"sex": "X"}, ("Sexe", "sexe invalide (F ou M attendu)")),
        (
            {"leaving_date": "01/01/2000"},
            ("Date de sortie", "date de sortie antérieure à la date de naissance"),
        ),
        ({"leaving_date": "01/07/2025"}, ("Date de sortie", "date de sortie dans le futur")),
        (
            {"leaving_date": "1/1/25"},
            ("Date de sortie", "année sur 2 chiffres : indiquez l'année complète (jj/mm/aaaa)"),
        ),
    ],
)
def test_every_rejection_reason(changes: dict[str, CellValue], expected: tuple[str, str]) -> None:
    assert rejected(**changes) == [expected]


def test_messages_never_contain_the_personal_value() -> None:
    faulty = row(
        ine="98765XYZ",
        last_name="Zyx" * 40,
        birth_date="31/02/2011",
        phone="0699",
        email="zyxwv@@exemple",
        postal_code="9876",
    )
    result = validate_row(faulty, 3, TODAY)
    assert isinstance(result, RejectedRow)
    values = [str(value) for value in faulty.values() if value]
    for error in result.errors:
        assert not any(value in error.message for value in values), error


def test_all_faulty_columns_are_reported_in_column_order() -> None:
    columns = [
        column
        for column, _ in rejected(
            leaving_date="01/01/1990", last_name="", ine="X", commune_insee="", postal_code=""
        )
    ]
    assert columns == ["INE", "Nom", "Code commune INSEE", "Date de sortie"]


@pytest.mark.parametrize(
    ("ine", "expected"),
    [
        ("1234567890A", "1234567890A"),
        ("123456789ab", "123456789AB"),
        (" 123 456 789 0A ", "1234567890A"),
    ],
)
def test_ine_forms(ine: str, expected: str) -> None:
    assert valid(ine=ine).ine == expected


@pytest.mark.parametrize("ine", ["12345678901", "12345678ABC", "A1234567890", "1234567890AB"])
def test_bad_ine(ine: str) -> None:
    assert rejected(ine=ine)[0][0] == "INE"


@pytest.mark.parametrize(
    ("insee", "expected"),
    [
        ("35238", "35238"),
        ("2A004", "2A004"),
        ("2b033", "2B033"),
        ("97411", "97411"),
        (1053, "01053"),
    ],
)
def test_insee_codes_including_corsica_and_overseas(insee: CellValue, expected: str) -> None:
    assert valid(commune_insee=insee).commune_insee == expected


@pytest.mark.parametrize("insee", ["20004", "97735", "00123", "96001", "2A04", "ABCDE", "123456"])
def test_bad_insee_codes(insee: str) -> None:
    assert rejected(commune_insee=insee)[0][0] == "Code commune INSEE"


@pytest.mark.parametrize(
    ("code", "expected"), [("35000", "35000"), ("1000", "01000"), (20000, "20000")]
)
def test_postal_codes(code: CellValue, expected: str) -> None:
    assert valid(postal_code=code).postal_code == expected


@pytest.mark.parametrize(
    ("phone", "expected"),
    [
        ("06 12 34 56 78", "0612345678"),
        ("06.12.34.56.78", "0612345678"),
        ("06-12-34-56-78", "0612345678"),
        ("+33 6 12 34 56 78", "0612345678"),
        ("+33 (0)6 12 34 56 78", "0612345678"),
        ("0033612345678", "0612345678"),
        (612345678, "0612345678"),
        (612345678.0, "0612345678"),
        ("02 99 12 34 56", "0299123456"),
        ("+262 692 12 34 56", "0692123456"),
        ("0262 12 34 5", None),
        ("'+33 6 12 34 56 78", "0612345678"),
    ],
)
def test_phone_numbers(phone: CellValue, expected: str | None) -> None:
    if expected is None:
        assert rejected(phone=phone)[0][0] == "Téléphone"
    else:
        assert valid(phone=phone).phone == expected


@pytest.mark.parametrize(
    ("sex", "expected"),
    [
        ("F", "F"),
        ("f", "F"),
        ("M", "M"),
        ("H", "M"),
        ("Homme", "M"),
        ("FEMME", "F"),
        ("Féminin", "F"),
    ],
)
def test_sexes(sex: str, expected: str) -> None:
    assert valid(sex=sex).sex == expected


def test_name_key_ignores_accents_case_spaces_and_hyphens() -> None:
    birth = date(2008, 3, 14)
    key = normalized_name_key("Le Gall", "Maëlle", birth)
    assert key == normalized_name_key("LE-GALL", "maelle", birth)
    assert key == normalized_name_key(" le gall ", "MAËLLE", birth)
    assert key != normalized_name_key("Le Gall", "Maëlle", date(2008, 3, 15))
    assert valid().name_key == key


def test_in_file_duplicates_keep_the_first_row() -> None:
    rows = [
        valid(),
        valid(ine="2345678901B"),
        valid(phone="0700000000"),
        valid(ine=None),
        valid(ine=None),
    ]
    rows = [replace(item, row_number=number) for number, item in enumerate(rows, start=2)]
    kept, duplicates = split_in_file_duplicates(rows)
    assert [item.row_number for item in kept] == [2, 3, 5, 6]
    assert [(dup.row_number, dup.same_as_row) for dup in duplicates] == [(4, 2)]
