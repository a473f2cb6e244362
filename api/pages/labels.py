"""French words the pages show for the pathway's deadlines (what is due, in a référent's words)."""

from __future__ import annotations

from filrouge.core.cases.pathway import DeadlineKind

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
