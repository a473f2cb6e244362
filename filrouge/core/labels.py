"""The French words people read for the domain's codes (JSON keeps the codes).

Stages and outcomes have theirs in `domain.py` (`STAGE_LABELS`, `OUTCOME_LABELS`); the
deadlines' are in `DEADLINE_LABELS` here. Mails, pages and the subject-access export read them
from here, never from a copy.
"""

from __future__ import annotations

from enum import StrEnum

from filrouge.core.cases.pathway import DeadlineKind
from filrouge.core.cases.transitions import StageReason
from filrouge.core.domain import (
    OUTCOME_LABELS,
    SOURCE_LABELS,
    STAGE_LABELS,
    AttemptResult,
    Channel,
    ContactOutcome,
    Decision,
    FollowUpStatus,
    ImportStatus,
    Outcome,
    Recipient,
    Role,
    RowStatus,
    SolutionType,
    Source,
    Stage,
    StructureKind,
)
from filrouge.core.routing import RoutingGap

ROLE_LABELS: dict[Role, str] = {
    Role.REFERENT: "référent",
    Role.COORDINATEUR: "coordinateur de plateforme",
    Role.PILOTE: "pilote régional",
    Role.PARTENAIRE: "partenaire",
    Role.ADMIN: "administrateur",
}

RECIPIENT_LABELS: dict[Recipient, str] = {
    Recipient.REFERENT: "référent",
    Recipient.COORDINATEUR: "coordination de la plateforme",
    Recipient.PILOTE: "pilote régional",
    Recipient.JEUNE: "jeune",
}

CHANNEL_LABELS: dict[Channel, str] = {
    Channel.TELEPHONE: "téléphone",
    Channel.SMS: "SMS",
    Channel.COURRIEL: "courriel",
    Channel.COURRIER: "courrier",
    Channel.VISITE: "visite à domicile",
}

ATTEMPT_RESULT_LABELS: dict[AttemptResult, str] = {
    AttemptResult.PAS_DE_REPONSE: "pas de réponse",
    AttemptResult.FAUX_NUMERO: "faux numéro",
    AttemptResult.MESSAGE_LAISSE: "message laissé",
    AttemptResult.JOINT: "joint",
}

CONTACT_OUTCOME_LABELS: dict[ContactOutcome, str] = {
    ContactOutcome.ACCEPTE_ENTRETIEN: "accepte un entretien",
    ContactOutcome.DEJA_EN_SOLUTION: "déjà en solution",
    ContactOutcome.REFUS: "refus",
    ContactOutcome.DEMENAGE: "a déménagé",
    ContactOutcome.HORS_CHAMP: "hors champ",
}

SOLUTION_TYPE_LABELS: dict[SolutionType, str] = {
    SolutionType.RETOUR_FORMATION_INITIALE: "retour en formation initiale",
    SolutionType.APPRENTISSAGE: "apprentissage",
    SolutionType.ACTION_MLDS: "action de la MLDS",
    SolutionType.E2C: "École de la 2e chance",
    SolutionType.EPIDE: "EPIDE",
    SolutionType.SERVICE_CIVIQUE: "service civique",
    SolutionType.CEJ: "contrat d’engagement jeune",
    SolutionType.FORMATION_REGIONALE: "formation de la Région",
    SolutionType.EMPLOI: "emploi",
    SolutionType.PARCOURS_SUR_MESURE: "parcours sur mesure",
    SolutionType.AUTRE: "autre",
}

DECISION_LABELS: dict[Decision, str] = {
    Decision.VALIDER: "validée",
    Decision.MODIFIER: "à modifier",
    Decision.COMMISSION: "inscrite à la commission",
}

FOLLOW_UP_LABELS: dict[FollowUpStatus, str] = {
    FollowUpStatus.MAINTENU: "maintenu en solution",
    FollowUpStatus.RUPTURE: "rupture",
}

STRUCTURE_KIND_LABELS: dict[StructureKind, str] = {
    StructureKind.MISSION_LOCALE: "Mission locale",
    StructureKind.MLDS: "MLDS",
    StructureKind.CIO: "CIO",
    StructureKind.AUTRE: "autre structure",
}

STAGE_REASON_LABELS: dict[StageReason, str] = {
    StageReason.AUTOMATIC_ASSIGNMENT: "attribution automatique",
    StageReason.REFERENT_ASSIGNED: "attribution à un référent",
    StageReason.MAX_FAILED_ATTEMPTS: "tentatives de contact sans réponse",
    StageReason.ACCEPTS_INTERVIEW: "accepte un entretien",
    StageReason.INTERVIEW_HELD: "entretien tenu",
    StageReason.NO_SHOW: "absent à l’entretien",
    StageReason.SOLUTIONS_PROPOSED: "solutions proposées",
    StageReason.APPROVED: "proposition validée",
    StageReason.CHANGES_REQUESTED: "proposition à modifier",
    StageReason.ENTERED: "entrée en solution",
    StageReason.NOT_ENTERED: "pas d’entrée en solution",
    StageReason.RUPTURE: "rupture",
    StageReason.LAST_FOLLOW_UP_MAINTAINED: "maintenu en solution au dernier suivi",
    StageReason.REOPENED: "réouverture",
    StageReason.REIDENTIFIED: "nouveau repérage",
    StageReason.INACTIVITY: "sans activité depuis trop longtemps",
}

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

ROUTING_GAP_LABELS: dict[RoutingGap, str] = {
    RoutingGap.OUTSIDE: "adresse hors de tout territoire",
    RoutingGap.NO_REFERENT: "aucun référent n’était disponible",
    RoutingGap.ELSEWHERE: "adresse du territoire d’une autre plateforme",
}

# Every code list above, to read a value whose list is known by its field.
CODE_LABELS: dict[type[StrEnum], dict[str, str]] = {
    enum: {str(code): label for code, label in labels.items()}
    for enum, labels in (
        (Source, SOURCE_LABELS),
        (Role, ROLE_LABELS),
        (Recipient, RECIPIENT_LABELS),
        (Channel, CHANNEL_LABELS),
        (AttemptResult, ATTEMPT_RESULT_LABELS),
        (ContactOutcome, CONTACT_OUTCOME_LABELS),
        (SolutionType, SOLUTION_TYPE_LABELS),
        (Decision, DECISION_LABELS),
        (FollowUpStatus, FOLLOW_UP_LABELS),
        (StructureKind, STRUCTURE_KIND_LABELS),
        (StageReason, STAGE_REASON_LABELS),
        (DeadlineKind, DEADLINE_LABELS),
        (RoutingGap, ROUTING_GAP_LABELS),
        (Stage, STAGE_LABELS),
        (Outcome, OUTCOME_LABELS),
        (ImportStatus, IMPORT_STATUS_LABELS),
        (RowStatus, ROW_STATUS_LABELS),
    )
}


def label_of(codes: type[StrEnum], code: str | None) -> str:
    """The French word for `code` of the list `codes` ('—' for none; unknown: as is)."""
    if code is None:
        return "—"
    return CODE_LABELS[codes].get(str(code), str(code))
