"""Parse and normalise single cells of a list row (dates, codes, phones, e-mails...)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime

from email_validator import EmailNotValidError, validate_email

from filrouge.core.identity import MAX_LENGTHS
from filrouge.intake.columns import normalize_header
from filrouge.intake.reader import CellValue

_INE = re.compile(r"^(\d{9}[A-Z]{2}|\d{10}[A-Z])$")
_UAI = re.compile(r"^\d{7}[A-Z]$")
_INSEE = re.compile(r"^(\d{5}|2[AB]\d{3})$")
_POSTAL_CODE = re.compile(r"^\d{5}$")
_FR_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
_SHORT_YEAR = re.compile(r"^\d{1,2}[/.-]\d{1,2}[/.-]\d{2}$")
_PHONE_SEPARATORS = re.compile(r"[\s.\-/()]")
# International prefixes whose numbers are dialled in France as 0 + nine digits.
_PHONE_PREFIXES = (
    "+33",
    "0033",
    "+262",
    "00262",
    "+590",
    "00590",
    "+594",
    "00594",
    "+596",
    "00596",
)
_FORMULA_MARKERS = ("=", "+", "-", "@", "\t", "\r")
_SEXES = {"F": "F", "FEMME": "F", "FEMININ": "F", "FILLE": "F", "2": "F"}
_SEXES |= {"M": "M", "H": "M", "HOMME": "M", "MASCULIN": "M", "GARCON": "M", "1": "M"}


class RowInvalid(ValueError):
    """One field of a row is unusable; the message is French and names no personal value."""


def _text(cell: CellValue) -> str | None:
    if cell is None:
        return None
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)
    text = " ".join(str(cell).split())
    if len(text) > 1 and text[0] == "'" and text[1] in _FORMULA_MARKERS:
        text = text[1:]  # undo the escaping of our own rejected-rows file
    return text or None


def _required(name: str) -> Callable[[CellValue], str]:
    optional = _optional(name)

    def check(cell: CellValue) -> str:
        text = optional(cell)
        if text is None:
            raise RowInvalid("champ obligatoire manquant")
        if not any(char.isalpha() for char in text):
            raise RowInvalid("doit contenir au moins une lettre")
        return text

    return check


def _optional(name: str) -> Callable[[CellValue], str | None]:
    limit = MAX_LENGTHS.get(name)

    def check(cell: CellValue) -> str | None:
        text = _text(cell)
        if text is not None and limit is not None and len(text) > limit:
            raise RowInvalid(f"trop long ({limit} caractères au maximum)")
        return text

    return check


def parse_date(cell: CellValue) -> date | None:
    """A date from an Excel cell, `jj/mm/aaaa` or `aaaa-mm-jj`; RowInvalid otherwise."""
    if isinstance(cell, datetime):
        return cell.date()
    if isinstance(cell, date):
        return cell
    text = _text(cell)
    if text is None:
        return None
    if _SHORT_YEAR.match(text):
        raise RowInvalid("année sur 2 chiffres : indiquez l'année complète (jj/mm/aaaa)")
    if match := _FR_DATE.match(text):
        day, month, year = (int(part) for part in match.groups())
    elif match := _ISO_DATE.match(text):
        year, month, day = (int(part) for part in match.groups())
    else:
        raise RowInvalid("format de date invalide (attendu jj/mm/aaaa ou aaaa-mm-jj)")
    try:
        return date(year, month, day)
    except ValueError as error:
        raise RowInvalid("date inexistante") from error


def _required_date(cell: CellValue) -> date:
    parsed = parse_date(cell)
    if parsed is None:
        raise RowInvalid("champ obligatoire manquant")
    return parsed


def _code(
    pattern: re.Pattern[str], message: str, pad: int = 0
) -> Callable[[CellValue], str | None]:
    def check(cell: CellValue) -> str | None:
        text = _text(cell)
        if text is None:
            return None
        code = text.replace(" ", "").upper()
        if pad and code.isdigit() and len(code) == pad - 1:
            code = "0" + code  # a spreadsheet dropped the leading zero (01000 -> 1000)
        if not pattern.match(code):
            raise RowInvalid(message)
        return code

    return check


_insee_code = _code(_INSEE, "code commune INSEE invalide (5 caractères)", pad=5)
_postal_code_format = _code(_POSTAL_CODE, "code postal invalide (5 chiffres)", pad=5)


def _insee(cell: CellValue) -> str | None:
    code = _insee_code(cell)
    if code is not None and code[:2].isdigit() and not _known_department(code):
        raise RowInvalid("code commune INSEE invalide (département inconnu)")
    return code


def _postal_code(cell: CellValue) -> str | None:
    code = _postal_code_format(cell)
    if code is not None and code.startswith("00"):
        raise RowInvalid("code postal invalide (5 chiffres)")
    return code


def _known_department(code: str) -> bool:
    department = int(code[:2])
    if department == 97:
        return code[2] in "123456"
    return 1 <= department <= 95 and department != 20


def normalize_phone(cell: CellValue) -> str | None:
    """A French phone number as 0XXXXXXXXX (overseas included); RowInvalid otherwise."""
    text = _text(cell)
    if text is None:
        return None
    digits = _PHONE_SEPARATORS.sub("", text)
    for prefix in _PHONE_PREFIXES:
        if digits.startswith(prefix):
            digits = "0" + digits[len(prefix) :].removeprefix("0")
            break
    if re.fullmatch(r"[1-9]\d{8}", digits):
        digits = "0" + digits  # a spreadsheet stored the number as an integer
    if not re.fullmatch(r"0[1-9]\d{8}", digits):
        raise RowInvalid("numéro de téléphone invalide (10 chiffres attendus)")
    return digits


_email_text = _optional("email")


def _email(cell: CellValue) -> str | None:
    text = _email_text(cell)
    if text is None:
        return None
    try:
        return validate_email(text, check_deliverability=False).normalized
    except EmailNotValidError as error:
        raise RowInvalid("adresse électronique invalide") from error


def _sex(cell: CellValue) -> str | None:
    text = _text(cell)
    if text is None:
        return None
    sex = _SEXES.get(normalize_header(text).upper())
    if sex is None:
        raise RowInvalid("sexe invalide (F ou M attendu)")
    return sex


FIELD_PARSERS: dict[str, Callable[[CellValue], object]] = {
    "ine": _code(
        _INE, "format d'INE invalide (10 chiffres et 1 lettre, ou 9 chiffres et 2 lettres)"
    ),
    "last_name": _required("last_name"),
    "first_name": _required("first_name"),
    "sex": _sex,
    "birth_date": _required_date,
    "address": _optional("address"),
    "postal_code": _postal_code,
    "commune_name": _optional("commune_name"),
    "commune_insee": _insee,
    "phone": normalize_phone,
    "email": _email,
    "guardian_name": _optional("guardian_name"),
    "guardian_phone": normalize_phone,
    "school_uai": _code(_UAI, "code UAI invalide (7 chiffres et 1 lettre)"),
    "school_name": _optional("school_name"),
    "last_training": _optional("last_training"),
    "level": _optional("level"),
    "leaving_date": parse_date,
}
