"""The young person's identity fields, declared once (DOMAIN.md, "Personal data").

The store's `CaseIdentity`, the list columns and parsers, the validated list row and the API's
person schemas are derived from (or checked against) this declaration: adding a field starts
here, and the tests say what else must follow.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class IdentityField:
    """One field of the identity: its type, French label, size and where it may come from."""

    name: str
    type: type
    label: str
    max_length: int | None = None
    required: bool = False  # a case cannot be created without it
    in_list: bool = True  # a column of the lists (SIEI and others) and of referrals


IDENTITY_FIELDS: tuple[IdentityField, ...] = (
    IdentityField("last_name", str, "Nom", 100, required=True),
    IdentityField("first_name", str, "Prénom", 100, required=True),
    IdentityField("sex", str, "Sexe", 1),
    IdentityField("birth_date", date, "Date de naissance", required=True),
    IdentityField("ine", str, "INE", 11),
    IdentityField("address", str, "Adresse", 300),
    IdentityField("postal_code", str, "Code postal", 5),
    IdentityField("commune_insee", str, "Code commune INSEE", 5),
    IdentityField("commune_name", str, "Commune", 100),
    IdentityField("phone", str, "Téléphone", 20),
    IdentityField("email", str, "Courriel", 320),
    IdentityField("guardian_name", str, "Représentant légal", 200),
    IdentityField("guardian_phone", str, "Téléphone représentant légal", 20),
    IdentityField("school_uai", str, "UAI", 8),
    IdentityField("school_name", str, "Établissement", 200),
    IdentityField("last_training", str, "Dernière formation", 200),
    IdentityField("level", str, "Niveau", 50),
    IdentityField("leaving_date", date, "Date de sortie"),
    IdentityField("convocation_consent", bool, "Accord pour les convocations", in_list=False),
)
"""Every field is personal data: all of them are erased together with the case's identity."""

FIELDS_BY_NAME: dict[str, IdentityField] = {f.name: f for f in IDENTITY_FIELDS}
LIST_FIELDS: tuple[IdentityField, ...] = tuple(f for f in IDENTITY_FIELDS if f.in_list)
"""The fields a list row or a referral carries (the consent is asked, not listed)."""

PERSON_FIELD_NAMES: tuple[str, ...] = tuple(f.name for f in LIST_FIELDS)
REQUIRED_FIELDS: tuple[str, ...] = tuple(f.name for f in IDENTITY_FIELDS if f.required)
LABELS: dict[str, str] = {f.name: f.label for f in IDENTITY_FIELDS}
MAX_LENGTHS: dict[str, int] = {f.name: f.max_length for f in IDENTITY_FIELDS if f.max_length}
DATE_FIELDS: tuple[str, ...] = tuple(f.name for f in IDENTITY_FIELDS if f.type is date)
NAME_KEY_FIELDS: tuple[str, ...] = ("last_name", "first_name", "birth_date")
"""The fields whose change moves the possible-duplicate key (`CaseIdentity.name_key`)."""
