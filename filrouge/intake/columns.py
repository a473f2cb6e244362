"""Canonical list columns, tolerant header matching and the columns the law forbids."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    """One canonical column: its field name (as in CaseIdentity), French label and aliases."""

    field: str
    label: str
    aliases: tuple[str, ...] = ()


COLUMNS: tuple[Column, ...] = (
    Column("ine", "INE", ("identifiant national élève", "identifiant national eleve", "n° INE")),
    Column("last_name", "Nom", ("nom de famille", "nom d'usage", "nom élève", "nom jeune")),
    Column("first_name", "Prénom", ("prénom élève", "prénom jeune", "prénoms", "premier prénom")),
    Column("sex", "Sexe", ("genre", "civilité")),
    Column(
        "birth_date",
        "Date de naissance",
        ("date naissance", "date de naiss", "né le", "née le", "né(e) le", "ddn", "naissance"),
    ),
    Column("address", "Adresse", ("adresse postale", "adresse complète", "adresse jeune")),
    Column("postal_code", "Code postal", ("cp", "code postal domicile")),
    Column("commune_name", "Commune", ("ville", "commune de résidence", "localité")),
    Column(
        "commune_insee",
        "Code commune INSEE",
        ("code insee", "insee", "code commune", "commune insee", "code insee commune", "cog"),
    ),
    Column(
        "phone",
        "Téléphone",
        ("tel", "tél", "tél.", "téléphone jeune", "téléphone portable", "portable", "mobile"),
    ),
    Column(
        "email",
        "Courriel",
        ("mail", "e-mail", "email", "adresse électronique", "adresse mail", "courriel jeune"),
    ),
    Column(
        "guardian_name",
        "Représentant légal",
        ("responsable légal", "nom représentant légal", "nom responsable légal", "parent"),
    ),
    Column(
        "guardian_phone",
        "Téléphone représentant légal",
        ("tel représentant légal", "téléphone responsable légal", "tel responsable légal"),
    ),
    Column("school_uai", "UAI", ("rne", "code uai", "uai établissement", "uai d'origine")),
    Column(
        "school_name",
        "Établissement",
        ("établissement d'origine", "nom établissement", "lycée", "établissement fréquenté"),
    ),
    Column(
        "last_training",
        "Dernière formation",
        ("formation", "dernière formation suivie", "formation d'origine", "diplôme préparé"),
    ),
    Column("level", "Niveau", ("niveau de formation", "classe", "niveau d'études")),
    Column(
        "leaving_date",
        "Date de sortie",
        ("date sortie", "date de fin de formation", "date de décrochage", "sortie le"),
    ),
)

LABELS: dict[str, str] = {column.field: column.label for column in COLUMNS}

REQUIRED_FIELDS: tuple[str, ...] = ("last_name", "first_name", "birth_date")
LOCATION_FIELDS: tuple[str, ...] = ("commune_insee", "postal_code")

# Categories the CNIL conditions of the SIEI exclude; matched as substrings of normalised headers.
FORBIDDEN_KEYWORDS: dict[str, tuple[str, ...]] = {
    "santé": ("sante", "medic", "medecin", "maladie", "pathologi", "allergi", "pai"),
    "handicap": ("handicap", "mdph", "invalidit", "aesh", "pps"),
    "nationalité": ("nationalit", "paysdorigine", "titredesejour", "originenationale"),
    "situation familiale": (
        "situationfamiliale",
        "situationmatrimoniale",
        "statutmarital",
        "situationdefamille",
        "nombredenfants",
        "enfantsacharge",
        "enceinte",
        "grossesse",
    ),
    "infractions": ("infraction", "casier", "condamn", "judiciaire", "penal", "delit", "pjj"),
    "religion et opinions": ("religi", "confession", "culte", "politique", "syndica"),
    "origine et vie privée": ("ethni", "racial", "sexualit", "orientationsexuelle"),
}

# Short keywords that must match the whole header, not a part of it ("pai" in "paiement").
_WHOLE_WORD_KEYWORDS = frozenset({"pai", "pps", "aesh", "pjj", "culte"})


def normalize_header(text: str) -> str:
    """Lower-case, accent-free header with every non-alphanumeric character removed."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(char for char in decomposed if not unicodedata.combining(char))
    return re.sub(r"[^0-9a-z]", "", stripped.casefold())


def _alias_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for column in COLUMNS:
        for name in (column.label, column.field, *column.aliases):
            index.setdefault(normalize_header(name), column.field)
    return index


_ALIASES = _alias_index()


def forbidden_category(header: str) -> str | None:
    """The forbidden category a header belongs to, or None."""
    key = normalize_header(header)
    for category, keywords in FORBIDDEN_KEYWORDS.items():
        for keyword in keywords:
            if keyword == key or (keyword not in _WHOLE_WORD_KEYWORDS and keyword in key):
                return category
    return None


def field_for_header(header: str) -> str | None:
    """The canonical field a header names, or None when it is not recognised."""
    return _ALIASES.get(normalize_header(header))


@dataclass(frozen=True)
class HeaderMapping:
    """How the header row of a list maps onto canonical fields."""

    headers: tuple[str, ...]
    fields: dict[int, str]
    ignored_columns: tuple[str, ...]
    dropped_forbidden_columns: tuple[str, ...]

    def missing_required(self) -> list[str]:
        """French labels of the required columns the header lacks."""
        present = set(self.fields.values())
        missing = [LABELS[name] for name in REQUIRED_FIELDS if name not in present]
        if not present.intersection(LOCATION_FIELDS):
            missing.append(f"{LABELS['commune_insee']} ou {LABELS['postal_code']}")
        return missing


def map_headers(headers: Sequence[str | None]) -> HeaderMapping:
    """Map header cells to fields; forbidden columns are dropped, unknown ones ignored."""
    texts = tuple("" if cell is None else str(cell).strip() for cell in headers)
    fields: dict[int, str] = {}
    ignored: list[str] = []
    dropped: list[str] = []
    for index, text in enumerate(texts):
        if not text:
            continue
        if forbidden_category(text) is not None:
            dropped.append(text)
            continue
        field = field_for_header(text)
        if field is None or field in fields.values():
            ignored.append(text)
        else:
            fields[index] = field
    return HeaderMapping(texts, fields, tuple(ignored), tuple(dropped))
