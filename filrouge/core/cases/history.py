"""A case's history in plain French: one line per audit event, with who and when.

The audit log keeps codes and ISO dates (it is hash-chained and read by machines); the case
page and the subject-access export show it through `timeline`, in French words, with dates in
the platform's time zone. A test fails when an event kind has no wording here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from enum import StrEnum
from typing import Any, Protocol

from filrouge.core.audit import ERASED, ERASED_KIND
from filrouge.core.cases.pathway import TIMER_FIRED, DeadlineKind
from filrouge.core.domain import (
    STAGE_LABELS,
    AttemptResult,
    Channel,
    ContactOutcome,
    Decision,
    FollowUpStatus,
    Outcome,
    Role,
    SolutionType,
    Source,
    Stage,
)
from filrouge.core.identity import LABELS as IDENTITY_LABELS
from filrouge.core.labels import ROLE_LABELS, label_of
from filrouge.core.local_time import french_date, french_datetime


class AuditRecord(Protocol):
    """What the history reads of an audit event (the store's row has these)."""

    @property
    def kind(self) -> str: ...
    @property
    def data(self) -> dict[str, Any]: ...
    @property
    def occurred_at(self) -> datetime: ...
    @property
    def actor_id(self) -> str | None: ...
    @property
    def actor_role(self) -> str | None: ...


def choice_label(codes: type[StrEnum], value: Any) -> str:
    """The French word of a code; an erased text says so."""
    if isinstance(value, dict) and ERASED in value:
        return "(effacé)"
    return label_of(codes, value) if value else "—"


def deadline_label(kind: Any) -> str:
    return choice_label(DeadlineKind, kind)


RECIPIENTS = {
    "referent": "rappel au référent",
    "coordinateur": "alerte aux coordinateurs",
    "pilote": "alerte au pilote régional",
    "jeune": "convocation au jeune",
}
MAIL_RECIPIENTS = {
    "referent": "au référent",
    "coordinateur": "aux coordinateurs",
    "pilote": "au pilote régional",
    "jeune": "au jeune",
}
AUTOMATIC = "Fil rouge (automatique)"


@dataclass(frozen=True)
class Entry:
    """One line of the history: when, what (French), and who did it."""

    at: datetime
    text: str
    who: str


Zone = tzinfo | str | None
Describe = Callable[[dict[str, Any], Zone], str]


def _stage(value: Any) -> str:
    try:
        return STAGE_LABELS[Stage(value)]
    except ValueError:
        return str(value)


def _day(value: Any, zone: Zone) -> str:
    try:
        return french_date(date.fromisoformat(str(value)[:10]), zone)
    except ValueError:
        return str(value)


def _moment(value: Any, zone: Zone) -> str:
    try:
        return french_datetime(datetime.fromisoformat(str(value)), zone)
    except ValueError:
        return str(value)


def _plain(value: Any) -> str:
    """A text as typed; an erased one says so."""
    if isinstance(value, dict) and ERASED in value:
        return "(effacé)"
    return "" if value is None else str(value)


def _with(text: str, extra: Any, prefix: str = " — ") -> str:
    return f"{text}{prefix}{_plain(extra)}" if extra else text


def _solutions(d: dict[str, Any], zone: Zone) -> str:
    parts = [
        f"{choice_label(SolutionType, s.get('type', ''))} ({_plain(s.get('structure'))}, "
        f"à partir du {_day(s.get('start_date'), zone)})"
        for s in d.get("solutions") or []
    ]
    return "Solutions proposées : " + "; ".join(parts)


def _contact_outcome(d: dict[str, Any]) -> str:
    """The outcome with everything typed with it (the export shows the person all of it)."""
    text = "Résultat du contact : " + choice_label(ContactOutcome, d.get("outcome", ""))
    if d.get("solution_type"):
        text += " — " + choice_label(SolutionType, d["solution_type"])
    if d.get("new_commune"):
        text += " — nouvelle commune : " + _plain(d["new_commune"])
    return _with(text, d.get("reason"))


def _fields(d: dict[str, Any]) -> str:
    return ", ".join(IDENTITY_LABELS.get(f, f) for f in d.get("fields") or [])


DESCRIPTIONS: dict[str, Describe] = {
    "case_identified": lambda d, z: (
        "Repérage : "
        + choice_label(Source, d.get("source", ""))
        + (" (droit au retour en formation)" if d.get("droit_au_retour") else "")
    ),
    "reidentified": lambda d, z: "Nouveau repérage : " + choice_label(Source, d.get("source", "")),
    "routing_needed": lambda d, z: "Aucun référent disponible : dossier à attribuer",
    "referent_assigned": lambda d, z: (
        "Dossier attribué" + (" automatiquement" if d.get("automatic") else "")
    ),
    "stage_changed": lambda d, z: f"Passage à l’étape « {_stage(d.get('to'))} »",
    "contact_attempt": lambda d, z: (
        "Tentative de contact par "
        + choice_label(Channel, d.get("channel", ""))
        + " : "
        + choice_label(AttemptResult, d.get("result", ""))
    ),
    "contact_outcome": lambda d, z: _contact_outcome(d),
    "interview_scheduled": lambda d, z: _with(
        "Entretien planifié le " + _moment(d.get("at"), z), d.get("place"), ", "
    ),
    "interview_recorded": lambda d, z: (
        "Entretien tenu" if d.get("held") else "Le jeune ne s’est pas présenté à l’entretien"
    ),
    "solutions_proposed": _solutions,
    "decision": lambda d, z: _with(
        "Décision du coordinateur : " + choice_label(Decision, d.get("decision", "")),
        d.get("comment"),
    ),
    "entry_confirmed": lambda d, z: (
        ("Entrée en solution confirmée" + (f" le {_day(d['on'], z)}" if d.get("on") else ""))
        if d.get("entered")
        else "Le jeune n’est pas entré en solution"
    ),
    "follow_up": lambda d, z: (
        "Point de suivi : " + choice_label(FollowUpStatus, d.get("status", ""))
    ),
    "case_closed": lambda d, z: _with(
        "Dossier clôturé : " + choice_label(Outcome, d.get("outcome", "")), d.get("reason")
    ),
    "case_reopened": lambda d, z: _with("Dossier rouvert", d.get("reason")),
    "obligation_summons": lambda d, z: (
        "Convocation au titre de l’obligation de formation le " + _day(d.get("on"), z)
    ),
    "obligation_reported": lambda d, z: (
        "Signalement au conseil départemental envoyé le " + _day(d.get("on"), z)
    ),
    "birth_date_rectified": lambda d, z: (
        "Date de naissance rectifiée (échéances d’âge recalculées)"
    ),
    "person_rectified": lambda d, z: "Données rectifiées : " + _fields(d),
    TIMER_FIRED: lambda d, z: (
        "Échéance atteinte : "
        + deadline_label(d.get("deadline"))
        + _recipients(d.get("recipients"))
    ),
    "email_sent": lambda d, z: (
        "Courriel envoyé " + _to(d.get("recipient")) + " : " + _mail_kind(d.get("kind"))
    ),
    "email_failed": lambda d, z: (
        "Courriel refusé par le serveur de messagerie " + _to(d.get("recipient"))
    ),
    "email_no_recipient": lambda d, z: (
        "Courriel non envoyé : aucun destinataire " + _to(d.get("recipient"))
    ),
    "email_undelivered": lambda d, z: str(d.get("label") or "Courriel non remis"),
    ERASED_KIND: lambda d, z: "Données personnelles effacées",
}


def _mail_kind(kind: Any) -> str:
    return "nouveau repérage du jeune" if kind == "reidentified" else deadline_label(kind)


def _to(recipient: Any) -> str:
    """Whom a mail went to; nothing once erased (a sealed value)."""
    return MAIL_RECIPIENTS.get(recipient, "") if isinstance(recipient, str) else ""


def _recipients(values: Any) -> str:
    if not isinstance(values, list):
        return ""  # erased: which deadline fired, and for whom, is sealed
    names = [RECIPIENTS.get(str(v), str(v)) for v in values or []]
    return f" ({', '.join(names)})" if names else ""


def describe(event: AuditRecord, names: Mapping[str, str], zone: Zone) -> Entry:
    """The French line of one audit event (its kind, spelled out, when it has no wording)."""
    data = dict(event.data or {})
    describe = DESCRIPTIONS.get(event.kind)
    text = describe(data, zone) if describe else event.kind.replace("_", " ").capitalize()
    if event.kind == "referent_assigned" and data.get("referent_id"):
        text += " à " + names.get(data["referent_id"], "un référent")
    return Entry(event.occurred_at, text, _who(event, names))


def _who(event: AuditRecord, names: Mapping[str, str]) -> str:
    if not event.actor_id:
        return AUTOMATIC
    name = names.get(event.actor_id, "un utilisateur")
    try:
        return f"{name} ({ROLE_LABELS[Role(event.actor_role or '')]})"
    except ValueError:
        return name


def timeline(events: Sequence[AuditRecord], names: Mapping[str, str], zone: Zone) -> list[Entry]:
    """The whole history, most recent first."""
    return [describe(e, names, zone) for e in reversed(events)]
