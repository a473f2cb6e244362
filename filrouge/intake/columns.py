"""Canonical list columns, tolerant header matching and the columns the law forbids."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from filrouge.core.identity import LABELS, REQUIRED_FIELDS


@dataclass(frozen=True)
class Column:
    """One canonical column: its field name (as in CaseIdentity), French label and aliases."""

    field: str
    label: str
    aliases: tuple[str, ...] = ()


def _column(field: str, aliases: tuple[str, ...]) -> Column:
    return Column(field, LABELS[field], aliases)


COLUMNS: tuple[Column, ...] = (
    _column("ine", ("identifiant national élève", "identifiant national eleve", "n° INE")),
    _column("last_name", ("nom de famille", "nom d'usage", "nom élève", "nom jeune")),
    _column("first_name", ("prénom élève", "prénom jeune", "prénoms", "premier prénom")),
    _column("sex", ("genre", "civilité")),
    _column(
        "birth_date",
        ("date naissance", "date de naiss", "né le", "née le", "né(e) le", "ddn", "naissance"),
    ),
    _column("address", ("adresse postale", "adresse complète", "adresse jeune")),
    _column("postal_code", ("cp", "code postal domicile")),
    _column("commune_name", ("ville", "commune de résidence", "localité")),
    _column(
        "commune_insee",
        ("code insee", "insee", "code commune", "commune insee", "code insee commune", "cog"),
    ),
    _column(
        "phone",
        ("tel", "tél", "tél.", "téléphone jeune", "téléphone portable", "portable", "mobile"),
    ),
    _column(
        "email",
        ("mail", "e-mail", "email", "adresse électronique", "adresse mail", "courriel jeune"),
    ),
    _column(
        "guardian_name",
        ("responsable légal", "nom représentant légal", "nom responsable légal", "parent"),
    ),
    _column(
        "guardian_phone",
        ("tel représentant légal", "téléphone responsable légal", "tel responsable légal"),
    ),
    _column("school_uai", ("rne", "code uai", "uai établissement", "uai d'origine")),
    _column(
        "school_name",
        ("établissement d'origine", "nom établissement", "lycée", "établissement fréquenté"),
    ),
    _column(
        "last_training",
        ("formation", "dernière formation suivie", "formation d'origine", "diplôme préparé"),
    ),
    _column("level", ("niveau de formation", "classe", "niveau d'études")),
    _column(
        "leaving_date",
        ("date sortie", "date de fin de formation", "date de décrochage", "sortie le"),
    ),
)

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
