"""French words the pages show: the deadlines (what is due, in a référent’s words), the
statuses of an import and of its rows."""

from __future__ import annotations

from filrouge.core.cases.pathway import DeadlineKind
from filrouge.core.domain import ImportStatus, RowStatus

DEADLINE_LABELS: dict[DeadlineKind, str] = {
    DeadlineKind.ROUTING_ESCALATION: "attribuer le dossier à un référent",
    DeadlineKind.NO_CONTACT_REMINDER: "premier contact à établir (relance)",
    DeadlineKind.NO_CONTACT_ESCALATION: "premier contact à établir (alerte au coordinateur)",
    DeadlineKind.STUCK_ESCALATION: "dossier bloqué à la même étape (alerte)",
    DeadlineKind.INTERVIEW_REMINDER: "entretien prévu (rappel)",
    DeadlineKind.INTERVIEW_UNRECORDED_REMINDER: "compte rendu d’entretien à saisir",
    DeadlineKind.INTERVIEW_UNRECORDED_ESCALATION: "compte rendu d’entretien à saisir (alerte)",
    DeadlineKind.DROIT_RETOUR_DEADLINE: "droit au retour en formation : proposition à faire",
    DeadlineKind.DECISION_ESCALATION: "décision à prendre sur la proposition",
    DeadlineKind.ENTRY_UNCONFIRMED_REMINDER: "entrée en solution à confirmer",
    DeadlineKind.FOLLOW_UP_DUE: "point de suivi à faire",
    DeadlineKind.OBLIGATION_REPORT: "signalement au titre de l’obligation de formation",
    DeadlineKind.OBLIGATION_ENDS: "fin de l’obligation de formation (18 ans)",
    DeadlineKind.AGE_LIMIT: "limite d’âge de l’accompagnement",
    DeadlineKind.INACTIVITY_WARNING: "dossier sans activité (avertissement)",
    DeadlineKind.INACTIVITY_CLOSURE: "clôture pour inactivité",
    DeadlineKind.RETENTION_DUE: "fin de la durée de conservation",
}


def deadline_label(kind: str | None) -> str:
    """What a deadline kind asks for, in French ('—' when there is none)."""
    if not kind:
        return "—"
    try:
        return DEADLINE_LABELS[DeadlineKind(kind)]
    except ValueError:
        return kind.replace("_", " ")


IMPORT_STATUS_LABELS: dict[ImportStatus, str] = {
    ImportStatus.PENDING: "en attente",
    ImportStatus.RUNNING: "en cours",
    ImportStatus.DONE: "terminé",
    ImportStatus.FAILED: "échoué",
}

ROW_STATUS_LABELS: dict[RowStatus, str] = {
    RowStatus.PENDING: "en attente",
    RowStatus.REJECTED: "rejetée",
    RowStatus.IN_FILE_DUPLICATE: "en double dans le fichier",
    RowStatus.CREATED: "dossier créé",
    RowStatus.TO_ROUTE: "dossier créé, à router",
    RowStatus.REIDENTIFIED: "repérage ajouté à un dossier suivi",
    RowStatus.DUPLICATE_REVIEW: "doublon possible, à examiner",
}
