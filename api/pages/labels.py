"""French words only the pages show: the steps' fields and choices (as a form phrases them)
and how a case was read; the codes' own words are in `filrouge/core/labels.py`."""

from __future__ import annotations

from enum import StrEnum

from filrouge.core.cases.pathway import DeadlineKind
from filrouge.core.domain import (
    AttemptResult,
    ContactOutcome,
    Decision,
    FollowUpStatus,
)
from filrouge.core.labels import CODE_LABELS, label_of


def deadline_label(kind: str | None) -> str:
    """What a deadline kind asks for, in French ('—' when there is none)."""
    return label_of(DeadlineKind, kind or None)


# ---------------------------------------------------------------- the steps' choices and fields

# A form's buttons phrase some answers as what the user does or finds (« valider », « jeune
# joint »); every other choice reads as the core's word for it (`filrouge/core/labels.py`).
ANSWER_LABELS: dict[type[StrEnum], dict[str, str]] = {
    AttemptResult: {
        AttemptResult.FAUX_NUMERO: "mauvais numéro ou adresse",
        AttemptResult.JOINT: "jeune joint",
    },
    ContactOutcome: {ContactOutcome.REFUS: "refuse l’accompagnement"},
    Decision: {
        Decision.VALIDER: "valider",
        Decision.MODIFIER: "demander une modification",
        Decision.COMMISSION: "inscrire en réunion de plateforme",
    },
    FollowUpStatus: {FollowUpStatus.MAINTENU: "toujours en solution"},
}

# A step's field, in French: by (step update name, field), or by field name alone.
FIELD_LABELS: dict[str, str] = {
    "channel": "Moyen",
    "result": "Résultat",
    "outcome": "Réponse du jeune",
    "close_case.outcome": "Issue",
    "solution_type": "Solution actuelle (si déjà en solution)",
    "new_commune": "Nouvelle commune (s’il a déménagé)",
    "reason": "Précision",
    "close_case.reason": "Motif (obligatoire pour « autre »)",
    "reopen_case.reason": "Motif de réouverture",
    "at": "Date et heure",
    "place": "Lieu",
    "held": "L’entretien a-t-il eu lieu ?",
    "solutions": "Solution",
    "type": "Type",
    "structure": "Structure d’accueil",
    "start_date": "Date de début",
    "decision": "Décision",
    "comment": "Commentaire",
    "entered": "Le jeune est-il entré en solution ?",
    "on": "Date",
    "confirm_entry.on": "Date d’entrée (aujourd’hui si vide)",
    "status": "Le jeune est-il toujours en solution ?",
    "referent_id": "Référent",
}
BOOL_LABELS: dict[str, tuple[str, str]] = {
    "held": ("Oui, il a eu lieu", "Non, le jeune n’est pas venu"),
    "entered": ("Oui, il est entré", "Non, il n’est pas entré"),
}


def field_label(step: str, field: str) -> str:
    """The French label of a step's field (the field's name when none is declared)."""
    return FIELD_LABELS.get(f"{step}.{field}") or FIELD_LABELS.get(field) or field


def choice_label(enum: type[StrEnum], value: str) -> str:
    """The French label of an enumeration's value."""
    answer = ANSWER_LABELS.get(enum, {}).get(value)
    return answer or CODE_LABELS.get(enum, {}).get(value) or value.replace("_", " ")


# ---------------------------------------------------------------- the access log

VIEW_LABELS: dict[str, str] = {
    "case": "fiche du dossier (API)",
    "case_page": "page du dossier",
    "history": "historique",
    "notes": "notes",
    "worklist": "liste de dossiers",
    "search": "recherche",
    "export": "export pour la personne",
    "export_html": "export imprimable pour la personne",
    "export_download": "export téléchargé pour la personne",
    "duplicate_review": "examen d’un doublon possible",
    "decision_queue": "file des décisions",
}


def view_label(view: str) -> str:
    """How a case was read, in French (the code itself for a view not listed yet)."""
    return VIEW_LABELS.get(view, view.replace("_", " "))
