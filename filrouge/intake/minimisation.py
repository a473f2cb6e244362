"""Minimisation: the categories of data the CNIL conditions of the SIEI forbid, in any input.

The import recognises forbidden column headers (French, `filrouge.intake.columns`); the API
also meets English field names, so this adds their keywords to the same matching.
"""

from __future__ import annotations

from collections.abc import Iterable

from filrouge.intake.columns import forbidden_category, normalize_header

# English field names an API client may send, matched as substrings of normalised names.
ENGLISH_KEYWORDS: dict[str, tuple[str, ...]] = {
    "santé": ("health", "medical", "illness", "disease", "pathology", "allerg", "diagnos"),
    "handicap": ("disabilit", "disabled", "impairment"),
    "nationalité": ("citizenship", "countryofbirth", "birthcountry", "residencepermit", "visa"),
    "situation familiale": (
        "maritalstatus",
        "familystatus",
        "familysituation",
        "pregnan",
        "children",
        "spouse",
    ),
    "infractions": ("criminal", "conviction", "offence", "offense", "police", "prison"),
    "religion et opinions": ("politic", "tradeunion", "belief"),
    "origine et vie privée": ("race", "sexualorientation", "sexlife", "genetic", "biometric"),
}


def forbidden_field_category(name: str) -> str | None:
    """The forbidden category a field or column name belongs to, or None."""
    found = forbidden_category(name)
    if found is not None:
        return found
    key = normalize_header(name)
    for category, keywords in ENGLISH_KEYWORDS.items():
        if any(keyword in key for keyword in keywords):
            return category
    return None


def forbidden_message(name: str, category: str) -> str:
    """The French explanation given when a forbidden field is refused."""
    return (
        f"catégorie de données interdite ({category}) : le champ « {name} » ne peut pas être "
        "collecté (santé, handicap, nationalité, situation familiale, infractions, opinions "
        "et origine sont exclues par les conditions de la CNIL)"
    )


def first_forbidden(names: Iterable[str]) -> tuple[str, str] | None:
    """The first (name, category) among `names` that falls in a forbidden category."""
    for name in names:
        category = forbidden_field_category(name)
        if category is not None:
            return name, category
    return None
