"""A case's history as people read it: each audit event's French name and details.

The audit log keeps codes and ISO dates (it is hash-chained and read by machines); the
subject-access export and the pages show it through `history_line`, in French, with dates in
the platform's time zone. A test fails when an event kind has no French name here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from filrouge.core.audit import ERASED, ERASED_KIND
from filrouge.core.cases.pathway import TIMER_FIRED, DeadlineKind
from filrouge.core.cases.transitions import StageReason
from filrouge.core.domain import (
    AttemptResult,
    Channel,
    ContactOutcome,
    Decision,
    FollowUpStatus,
    Outcome,
    Recipient,
    Role,
    SolutionType,
    Source,
    Stage,
)
from filrouge.core.identity import LABELS as IDENTITY_LABELS
from filrouge.core.labels import CODE_LABELS
from filrouge.core.local_time import french_date, french_datetime

EVENT_LABELS: dict[str, str] = {
    # identification and routing
    "case_identified": "Repérage",
    "reidentified": "Nouveau repérage",
    "routing_needed": "Dossier à attribuer par la coordination",
    "referent_assigned": "Attribution à un référent",
    "stage_changed": "Changement d'étape",
    # the pathway's steps
    "contact_attempt": "Tentative de contact",
    "contact_outcome": "Résultat du contact",
    "interview_scheduled": "Entretien planifié",
    "interview_recorded": "Compte rendu d'entretien",
    "solutions_proposed": "Solutions proposées",
    "decision": "Décision de la coordination",
    "entry_confirmed": "Entrée en solution",
    "follow_up": "Point de suivi",
    "case_closed": "Clôture du dossier",
    "case_reopened": "Réouverture du dossier",
    "obligation_summons": "Convocation au titre de l'obligation de formation",
    "obligation_reported": "Signalement au conseil départemental",
    # rights of the person
    "birth_date_rectified": "Rectification de la date de naissance",
    "person_rectified": "Rectification de l'identité",
    ERASED_KIND: "Effacement des données personnelles",
    # timers and mails
    TIMER_FIRED: "Échéance atteinte",
    "email_sent": "Courriel envoyé",
    "email_failed": "Courriel refusé par le serveur",
    "email_no_recipient": "Courriel sans destinataire",
    "email_undelivered": "Courriel non remis",
}

DETAIL_LABELS: dict[str, str] = {
    "source": "origine",
    "droit_au_retour": "droit au retour en formation",
    "automatic": "automatique",
    "referent_id": "référent",
    "structure_id": "structure",
    "from": "étape précédente",
    "to": "nouvelle étape",
    "reason": "motif",
    "channel": "moyen",
    "result": "résultat",
    "outcome": "issue",
    "solution_type": "type de solution",
    "new_commune": "nouvelle commune",
    "at": "date",
    "place": "lieu",
    "held": "entretien tenu",
    "solutions": "solutions",
    "decision": "décision",
    "comment": "commentaire",
    "entered": "entrée",
    "on": "date",
    "status": "résultat",
    "identified_at": "repéré le",
    "fields": "champs rectifiés",
    "deadline": "échéance",
    "due_at": "prévue le",
    "kind": "objet",
    "recipient": "destinataire",
    "recipients": "destinataires",
    "refused": "adresses refusées",
    "motive": "motif",
    "identity": "identité effacée",
    "notes": "notes effacées",
    "emails": "courriels effacés",
    "audit_texts": "textes de l'historique effacés",
    "key": "clé de scellement détruite",
    "reviews": "doublons possibles effacés",
}
# Internal keys: what the machine needs to find a record again, nothing a person reads.
HIDDEN_DETAILS = frozenset({"deadline_key", "label"})

_CODES: dict[str, type[StrEnum]] = {
    "source": Source,
    "from": Stage,
    "to": Stage,
    "channel": Channel,
    "result": AttemptResult,
    "solution_type": SolutionType,
    "type": SolutionType,
    "decision": Decision,
    "status": FollowUpStatus,
    "deadline": DeadlineKind,
    "kind": DeadlineKind,
    "recipient": Recipient,
    "recipients": Recipient,
}
_PEOPLE = frozenset({"referent_id"})
_REASONS = {"no_referent_available": "aucun référent disponible"}
_MOMENTS, _DAYS = frozenset({"at", "due_at", "identified_at"}), frozenset({"on"})


@dataclass(frozen=True)
class HistoryLine:
    """One event as people read it."""

    at: datetime
    label: str
    by: str
    details: list[tuple[str, str]]


def history_line(
    kind: str,
    data: dict[str, Any],
    actor_role: str | None,
    at: datetime,
    zone: str | None,
    names: Mapping[str, str] | None = None,
) -> HistoryLine:
    """The French reading of one audit event, its dates in the time zone `zone`; `names`
    gives the people's names for their ids."""
    names = names or {}
    details = [
        (
            DETAIL_LABELS.get(key, key),
            names.get(value, value) if key in _PEOPLE else _value(kind, key, value, zone),
        )
        for key, value in data.items()
        if key not in HIDDEN_DETAILS and value is not None
    ]
    by = CODE_LABELS[Role].get(actor_role, actor_role) if actor_role else "Fil rouge"
    return HistoryLine(at, EVENT_LABELS.get(kind, kind), by, details)


def _value(kind: str, key: str, value: Any, zone: str | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, dict) and ERASED in value:
        return "(effacé)"
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, list):
        return " ; ".join(_value(kind, key, item, zone) for item in value) or "—"
    if isinstance(value, dict):  # a proposed solution
        return ", ".join(_value(kind, k, v, zone) for k, v in value.items() if v is not None)
    return _text(kind, key, str(value), zone)


def _text(kind: str, key: str, text: str, zone: str | None) -> str:
    if key in _MOMENTS:
        return french_datetime(_moment(text), zone)
    if key in _DAYS:
        return french_date(date.fromisoformat(text))
    if key == "start_date":
        return f"début le {french_date(date.fromisoformat(text))}"
    if key == "fields":
        return IDENTITY_LABELS.get(text, text).lower()
    if key == "outcome":
        codes = ContactOutcome if kind == "contact_outcome" else Outcome
        return CODE_LABELS[codes].get(text, text)
    if key == "reason":
        return _reason(text)
    enum = _CODES.get(key)
    return CODE_LABELS[enum].get(text, text) if enum else text


def _reason(text: str) -> str:
    """A stage change's reason code or a closing's outcome, in French; a typed motive as is."""
    for codes in (StageReason, Outcome, ContactOutcome):
        if text in CODE_LABELS[codes]:
            return CODE_LABELS[codes][text]
    return _REASONS.get(text, text)


def _moment(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
