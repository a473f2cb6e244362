"""Pure domain types shared by the workflows, the activities and the API (no I/O here)."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date, datetime
from enum import StrEnum
from functools import lru_cache

from filrouge.core.durations import bounded_duration


class Stage(StrEnum):
    """Stages of a young person's pathway (DOMAIN.md, 'The pathway of one young person')."""

    A_ROUTER = "a_router"
    CONTACT = "contact"
    INJOIGNABLE = "injoignable"
    BILAN = "bilan"
    PROPOSITION = "proposition"
    DECISION = "decision"
    ENTREE = "entree"
    SUIVI = "suivi"
    CLOTURE = "cloture"


OPEN_STAGES = frozenset(Stage) - {Stage.CLOTURE}

STAGE_LABELS: dict[Stage, str] = {
    Stage.A_ROUTER: "à router",
    Stage.CONTACT: "prise de contact",
    Stage.INJOIGNABLE: "injoignable",
    Stage.BILAN: "bilan-positionnement",
    Stage.PROPOSITION: "proposition de solution",
    Stage.DECISION: "décision",
    Stage.ENTREE: "entrée en solution",
    Stage.SUIVI: "suivi",
    Stage.CLOTURE: "clôturé",
}


class Outcome(StrEnum):
    """How a case was closed."""

    MAINTENU = "maintenu_en_solution"
    DEJA_EN_SOLUTION = "deja_en_solution"
    REFUS = "refus"
    INJOIGNABLE = "injoignable"
    DEMENAGE = "demenage"
    HORS_CHAMP = "hors_champ"
    SANS_SUITE = "sans_suite"
    AUTRE = "autre"


OUTCOME_LABELS: dict[Outcome, str] = {
    Outcome.MAINTENU: "maintenu en solution",
    Outcome.DEJA_EN_SOLUTION: "déjà en solution",
    Outcome.REFUS: "refus",
    Outcome.INJOIGNABLE: "injoignable",
    Outcome.DEMENAGE: "a déménagé",
    Outcome.HORS_CHAMP: "hors champ",
    Outcome.SANS_SUITE: "sans suite",
    Outcome.AUTRE: "autre",
}


class Source(StrEnum):
    """Who identified the young person."""

    SIEI = "siei"
    ETABLISSEMENT = "etablissement"
    CFA = "cfa"
    CIO = "cio"
    MLDS = "mlds"
    MISSION_LOCALE = "mission_locale"
    FRANCE_TRAVAIL = "france_travail"
    JDC = "jdc"
    ASSOCIATION = "association"
    DROIT_AU_RETOUR = "droit_au_retour"


SOURCE_LABELS: dict[Source, str] = {
    Source.SIEI: "liste SIEI",
    Source.ETABLISSEMENT: "établissement scolaire",
    Source.CFA: "CFA",
    Source.CIO: "CIO",
    Source.MLDS: "MLDS",
    Source.MISSION_LOCALE: "Mission locale",
    Source.FRANCE_TRAVAIL: "France Travail",
    Source.JDC: "Journée défense et citoyenneté",
    Source.ASSOCIATION: "association",
    Source.DROIT_AU_RETOUR: "demande de droit au retour en formation",
}


class Channel(StrEnum):
    TELEPHONE = "telephone"
    SMS = "sms"
    COURRIEL = "courriel"
    COURRIER = "courrier"
    VISITE = "visite_domicile"


class AttemptResult(StrEnum):
    PAS_DE_REPONSE = "pas_de_reponse"
    FAUX_NUMERO = "faux_numero"
    MESSAGE_LAISSE = "message_laisse"
    JOINT = "joint"


class ContactOutcome(StrEnum):
    ACCEPTE_ENTRETIEN = "accepte_entretien"
    DEJA_EN_SOLUTION = "deja_en_solution"
    REFUS = "refus"
    DEMENAGE = "demenage"
    HORS_CHAMP = "hors_champ"


class SolutionType(StrEnum):
    RETOUR_FORMATION_INITIALE = "retour_formation_initiale"
    APPRENTISSAGE = "apprentissage"
    ACTION_MLDS = "action_mlds"
    E2C = "e2c"
    EPIDE = "epide"
    SERVICE_CIVIQUE = "service_civique"
    CEJ = "cej"
    FORMATION_REGIONALE = "formation_regionale"
    EMPLOI = "emploi"
    PARCOURS_SUR_MESURE = "parcours_sur_mesure"
    AUTRE = "autre"


class Decision(StrEnum):
    VALIDER = "valider"
    MODIFIER = "modifier"
    COMMISSION = "commission"


class FollowUpStatus(StrEnum):
    MAINTENU = "maintenu"
    RUPTURE = "rupture"


class Role(StrEnum):
    REFERENT = "referent"
    COORDINATEUR = "coordinateur"
    PILOTE = "pilote"
    PARTENAIRE = "partenaire"
    ADMIN = "admin"


class StructureKind(StrEnum):
    MISSION_LOCALE = "mission_locale"
    MLDS = "mlds"
    CIO = "cio"
    AUTRE = "autre"


STRUCTURE_KIND_LABELS: dict[StructureKind, str] = {
    StructureKind.MISSION_LOCALE: "Mission locale",
    StructureKind.MLDS: "MLDS",
    StructureKind.CIO: "CIO",
    StructureKind.AUTRE: "autre structure",
}


class Recipient(StrEnum):
    """Who a reminder or an escalation is addressed to."""

    REFERENT = "referent"
    COORDINATEUR = "coordinateur"
    PILOTE = "pilote"
    JEUNE = "jeune"


class ImportStatus(StrEnum):
    """Where an uploaded list stands (`imports.status`)."""

    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class RowStatus(StrEnum):
    """What became of one list row or one identification (`import_rows.status`, placements)."""

    PENDING = "pending"
    REJECTED = "rejected"
    IN_FILE_DUPLICATE = "in_file_duplicate"
    CREATED = "created"
    TO_ROUTE = "to_route"
    REIDENTIFIED = "reidentified"
    DUPLICATE_REVIEW = "duplicate_review"


class CreationStatus(StrEnum):
    """What a request to create a case or refer a young person answers."""

    CREATED = "created"
    EXISTS = "exists"
    REPLAYED = "replayed"
    DUPLICATE_REVIEW = "duplicate_review"
    TRANSMITTED = "transmitted"


class ReviewStatus(StrEnum):
    """A possible duplicate waiting for a coordinator, or what they decided."""

    OPEN = "open"
    MERGED = "merged"
    KEPT_APART = "kept_apart"
    EXPIRED = "expired"


class NoticeStatus(StrEnum):
    """A crossing notice to another platform's coordinators (an INE they follow)."""

    OPEN = "open"


class OutboxStatus(StrEnum):
    """Where one e-mail of the outbox stands."""

    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    # Not taken by the SMTP server in time (outage, credentials): the case sends it later.
    UNDELIVERED = "undelivered"


class DeliveryStatus(StrEnum):
    """What one attempt to send a mail gave (`SendNotificationResult`, import summaries)."""

    PENDING = "pending"
    SENT = "sent"
    ALREADY_SENT = "already_sent"
    FAILED = "failed"
    NO_RECIPIENT = "no_recipient"


@dataclass(frozen=True)
class TimerPolicy:
    """A platform's timer policy: ISO 8601 durations, defaults from DOMAIN.md."""

    reminder_no_contact: str = "P5D"
    escalation_no_contact: str = "P10D"
    stuck_escalation: str = "P30D"
    routing_escalation: str = "P2D"
    max_failed_attempts: int = 3
    attempt_spacing: str = "P2D"
    interview_reminder_before: str = "P1D"
    interview_unrecorded_reminder: str = "P2D"
    interview_unrecorded_escalation: str = "P4D"
    droit_retour_deadline: str = "P15D"
    decision_escalation: str = "P7D"
    entry_unconfirmed_reminder: str = "P7D"
    follow_up_checks: tuple[str, ...] = ("P1M", "P3M", "P6M")
    obligation_report: str = "P2M"
    retention: str = "P24M"
    inactivity_closure: str = "P12M"

    def problems(self) -> dict[str, str]:
        """Each unusable field and why, in French; empty when the policy is usable.

        Cached per distinct policy (every case creation and purge reads policies): the key
        holds each value's type too, since `True == 1` and `1.0 == 1` for the dataclass's
        equality but not for the checks. A policy holding an unhashable value (a list...)
        is checked uncached."""
        key = tuple(_typed(getattr(self, f.name)) for f in fields(self))
        try:
            hash(key)
        except TypeError:
            return _policy_problems(self)
        return dict(_cached_policy_problems(key, self))

    def validate(self) -> TimerPolicy:
        """Raise ValueError (French message naming the field) when a value is not usable."""
        problems = self.problems()
        if problems:
            name, problem = next(iter(problems.items()))
            raise ValueError(f"{POLICY_LABELS[name]} ({name}) : {problem}")
        return self

    @classmethod
    def unchecked(cls, data: dict[str, object]) -> TimerPolicy:
        """A policy from stored or submitted JSON, unknown keys ignored, not yet validated."""
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        checks = values.get("follow_up_checks")
        if isinstance(checks, list | tuple):
            values["follow_up_checks"] = tuple(checks)
        return cls(**values)  # type: ignore[arg-type]

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> TimerPolicy:
        """Build a policy from stored JSON, ignoring unknown keys."""
        return cls.unchecked(data).validate()


def _typed(value: object) -> object:
    """`value` with its type (and its items' types), for a cache key."""
    if isinstance(value, tuple):
        return (tuple, tuple(_typed(item) for item in value))
    return (type(value), value)


def _policy_problems(policy: TimerPolicy) -> dict[str, str]:
    found: dict[str, str] = {}
    for f in fields(policy):
        try:
            _check_policy_value(f.name, getattr(policy, f.name))
        except (TypeError, ValueError) as exc:
            found[f.name] = str(exc)
    return found


@lru_cache(maxsize=256)
def _cached_policy_problems(
    _key: tuple[object, ...], policy: TimerPolicy
) -> tuple[tuple[str, str], ...]:
    """The problems as an immutable tuple (each caller gets its own dict)."""
    return tuple(_policy_problems(policy).items())


def _check_policy_value(name: str, value: object) -> None:
    if name == "max_failed_attempts":
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 20:
            raise ValueError("un nombre entier entre 1 et 20 est attendu")
    elif name == "follow_up_checks":
        if not isinstance(value, tuple) or not value:
            raise ValueError("au moins une échéance est attendue (exemple : P1M, P3M, P6M)")
        for item in value:
            bounded_duration(item)  # type: ignore[arg-type]
    else:
        bounded_duration(value)  # type: ignore[arg-type]


POLICY_LABELS: dict[str, str] = {
    "reminder_no_contact": "relance du référent sans premier contact",
    "escalation_no_contact": "alerte à la coordination sans premier contact",
    "stuck_escalation": "alerte au pilote pour un dossier sans évolution",
    "routing_escalation": "alerte à la coordination pour un dossier à attribuer",
    "max_failed_attempts": "nombre de tentatives sans réponse avant « injoignable »",
    "attempt_spacing": "écart minimal entre deux tentatives comptées",
    "interview_reminder_before": "rappel avant l'entretien",
    "interview_unrecorded_reminder": "relance pour un entretien sans compte rendu",
    "interview_unrecorded_escalation": "alerte pour un entretien sans compte rendu",
    "droit_retour_deadline": "délai légal d'entretien (droit au retour en formation)",
    "decision_escalation": "alerte pour une proposition en attente de décision",
    "entry_unconfirmed_reminder": "relance pour une entrée en solution non confirmée",
    "follow_up_checks": "points de suivi après l'entrée en solution",
    "obligation_report": "délai légal de signalement (obligation de formation)",
    "retention": "durée de conservation après clôture",
    "inactivity_closure": "clôture d'un dossier ouvert sans action ni nouveau repérage",
}
"""French label of each timer policy field, wherever a policy is shown or refused."""


@dataclass
class Actor:
    """Who performed a human step (a user id and the role they acted in)."""

    user_id: str
    role: Role


@dataclass
class Solution:
    type: SolutionType
    structure: str
    start_date: date


@dataclass
class StartCaseInput:
    """What a new case workflow needs: opaque ids and the dates that drive legal timers."""

    case_id: str
    platform_id: str
    source: Source
    identified_at: datetime
    birth_date: date
    leaving_date: date | None
    actor: Actor
    policy: TimerPolicy = field(default_factory=TimerPolicy)
    convocation_allowed: bool = False
    # Bulk intake chooses the référent and records the first events before starting the
    # workflow (`core.cases.transitions.identify`); the workflow then only rebuilds that state.
    referent_id: str | None = None
    structure_id: str | None = None
    initial_events_recorded: bool = False


@dataclass
class StepResult:
    """What an accepted human step returns."""

    case_id: str
    stage: Stage
    version: int
    next_deadline_kind: str | None = None
    next_deadline_at: datetime | None = None
