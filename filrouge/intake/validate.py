"""Validate and normalise one list row; messages name the column, never the personal value."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import date

from filrouge.core.durations import age_on
from filrouge.core.identity import LABELS
from filrouge.intake.columns import COLUMNS, normalize_header
from filrouge.intake.fields import FIELD_PARSERS, RowInvalid
from filrouge.intake.reader import CellValue

MINIMUM_AGE = 16
MAXIMUM_AGE = 99
_ORDER = {column.label: position for position, column in enumerate(COLUMNS)}


@dataclass(frozen=True)
class FieldError:
    """Why one column of a row was refused."""

    column: str
    message: str


@dataclass(frozen=True)
class RejectedRow:
    """A row that cannot become a case, with every reason."""

    row_number: int
    errors: list[FieldError]

    def reasons(self) -> str:
        """The reasons on one line, for the report and the rejected-rows file."""
        return " ; ".join(f"{error.column} : {error.message}" for error in self.errors)


@dataclass(frozen=True)
class ValidRow:
    """A normalised row: the list fields of `core.identity` (a test checks they agree)."""

    row_number: int
    last_name: str
    first_name: str
    birth_date: date
    ine: str | None = None
    sex: str | None = None
    address: str | None = None
    postal_code: str | None = None
    commune_name: str | None = None
    commune_insee: str | None = None
    phone: str | None = None
    email: str | None = None
    guardian_name: str | None = None
    guardian_phone: str | None = None
    school_uai: str | None = None
    school_name: str | None = None
    last_training: str | None = None
    level: str | None = None
    leaving_date: date | None = None

    @property
    def name_key(self) -> str:
        """The normalised name + birth date key used to flag possible duplicates."""
        return normalized_name_key(self.last_name, self.first_name, self.birth_date)

    def identity_fields(self) -> dict[str, object]:
        """The keyword arguments for a CaseIdentity."""
        values = asdict(self)
        del values["row_number"]
        return values


@dataclass(frozen=True)
class InFileDuplicate:
    """A row whose INE already appeared earlier in the same file."""

    row_number: int
    same_as_row: int


def normalized_name_key(last_name: str, first_name: str, birth_date: date) -> str:
    """Accent-, case-, space- and hyphen-insensitive key for possible-duplicate detection."""
    return f"{normalize_header(last_name)}|{normalize_header(first_name)}|{birth_date.isoformat()}"


def validate_row(
    raw: Mapping[str, CellValue],
    row_number: int,
    identified_on: date,
    *,
    address_required: bool = True,
) -> ValidRow | RejectedRow:
    """Check and normalise one row; a rejection lists every faulty column.

    `address_required=False`: the caller names the platform itself (a case created for a
    given platform), so the address is only used for routing when there is one.
    """
    values: dict[str, object] = {}
    errors: list[FieldError] = []
    for name, check in FIELD_PARSERS.items():
        try:
            values[name] = check(raw.get(name))
        except RowInvalid as invalid:
            errors.append(FieldError(LABELS[name], str(invalid)))
    errors.extend(_cross_checks(values, identified_on, address_required))
    if errors:
        return RejectedRow(row_number, sorted(errors, key=lambda error: _ORDER[error.column]))
    return ValidRow(row_number=row_number, **values)  # type: ignore[arg-type]


def _cross_checks(
    values: Mapping[str, object], identified_on: date, address_required: bool = True
) -> list[FieldError]:
    errors: list[FieldError] = []
    birth, leaving = values.get("birth_date"), values.get("leaving_date")
    if address_required and not values.get("commune_insee") and not values.get("postal_code"):
        if "commune_insee" in values and "postal_code" in values:
            message = "code commune INSEE ou code postal obligatoire"
            errors.append(FieldError(LABELS["commune_insee"], message))
    if isinstance(birth, date):
        errors.extend(_birth_errors(birth, identified_on))
    if isinstance(leaving, date):
        if isinstance(birth, date) and leaving < birth:
            message = "date de sortie antérieure à la date de naissance"
            errors.append(FieldError(LABELS["leaving_date"], message))
        elif leaving > identified_on:
            errors.append(FieldError(LABELS["leaving_date"], "date de sortie dans le futur"))
    return errors


def _birth_errors(birth: date, identified_on: date) -> list[FieldError]:
    label = LABELS["birth_date"]
    if birth > identified_on:
        return [FieldError(label, "date de naissance dans le futur")]
    age = age_on(birth, identified_on)
    if age < MINIMUM_AGE:
        return [FieldError(label, "moins de 16 ans à la date de repérage (règle CNIL)")]
    if age > MAXIMUM_AGE:
        return [FieldError(label, "date de naissance invraisemblable")]
    return []


def split_in_file_duplicates(
    rows: Iterable[ValidRow],
) -> tuple[list[ValidRow], list[InFileDuplicate]]:
    """Keep the first row of each INE; later rows with the same INE are in-file duplicates."""
    first_rows: dict[str, int] = {}
    kept: list[ValidRow] = []
    duplicates: list[InFileDuplicate] = []
    for row in rows:
        if row.ine is not None and row.ine in first_rows:
            duplicates.append(InFileDuplicate(row.row_number, first_rows[row.ine]))
            continue
        if row.ine is not None:
            first_rows[row.ine] = row.row_number
        kept.append(row)
    return kept, duplicates
