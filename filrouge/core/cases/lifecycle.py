"""Steps on the case as a whole, in any stage: assign, close, reopen, summons, identified again.

Declared like the pathway's steps in `steps.py`, which gathers both lists in `STEPS`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from filrouge.core.cases.declaration import (
    ANY_STAGE,
    COORDINATOR,
    NO_ROUTE,
    NOTE,
    OPEN,
    SHORT_TEXT,
    STAFF,
    Route,
    StepDeclaration,
    require,
)
from filrouge.core.cases.pathway import REIDENTIFIED_NOTICE, CaseState, Notice, Rule
from filrouge.core.cases.transitions import StageReason, Transition
from filrouge.core.domain import Actor, Outcome, Role, Source, Stage
from filrouge.core.durations import age_on

# ---------------------------------------------------------------- assign a référent


@dataclass
class AssignReferentInput:
    actor: Actor
    referent_id: str
    structure_id: str | None = None


def _assign(t: Transition, step: AssignReferentInput) -> None:
    t.state.referent_id, t.state.structure_id = step.referent_id, step.structure_id
    if t.state.stage in (Stage.A_ROUTER, Stage.INJOIGNABLE):
        t.enter(Stage.CONTACT, StageReason.REFERENT_ASSIGNED)


ASSIGN_REFERENT = StepDeclaration(
    AssignReferentInput,
    update="assign_referent",
    audit="referent_assigned",
    label="attribuer le dossier",
    roles=COORDINATOR,
    stages=OPEN,
    stage_refusal="Le dossier est clôturé : rouvrez-le avant de l'attribuer.",
    check=lambda state, step: require(
        bool(step.referent_id), "Le référent est obligatoire.", "referent_id"
    ),
    effect=_assign,
    route=Route(
        "assign",
        "Coordinator: assign (or reassign) the case to an active référent of the platform.",
        name="assign",
        fields={"referent_id": SHORT_TEXT},
        resolved=("structure_id",),
        example={"referent_id": "u-referent"},
    ),
)

# ---------------------------------------------------------------- closing and reopening


@dataclass
class CloseCaseInput:
    actor: Actor
    outcome: Outcome
    reason: str | None = None


CLOSE_CASE = StepDeclaration(
    CloseCaseInput,
    update="close_case",
    audit="case_closed",
    label="clôturer le dossier",
    roles=STAFF,
    stages=OPEN,
    stage_refusal="Le dossier est déjà clôturé.",
    check=lambda state, step: require(
        step.outcome != Outcome.AUTRE or bool(step.reason),
        "Précisez le motif de clôture pour l'issue « autre ».",
        "reason",
    ),
    effect=lambda t, step: t.close(step.outcome, step.reason or step.outcome.value),
    personal=("reason",),
    route=Route(
        "close",
        "Close the case with an outcome.",
        fields={"reason": NOTE},
        example={"outcome": "refus"},
    ),
)


@dataclass
class ReopenCaseInput:
    actor: Actor
    reason: str


REOPEN_CASE = StepDeclaration(
    ReopenCaseInput,
    update="reopen_case",
    audit="case_reopened",
    label="rouvrir le dossier",
    roles=STAFF,
    stages=frozenset({Stage.CLOTURE, Stage.INJOIGNABLE}),
    check=lambda state, step: require(
        bool(step.reason), "Précisez le motif de réouverture.", "reason"
    ),
    effect=lambda t, step: t.reopen(StageReason.REOPENED),
    personal=("reason",),
    route=Route(
        "reopen",
        "Reopen a closed or unreachable case at contacting; the history is kept.",
        fields={"reason": NOTE},
        example={"reason": "Nouveau contact"},
    ),
)

# ---------------------------------------------------------------- obligation de formation


@dataclass
class RecordSummonsInput:
    """A minor under the obligation de formation was summoned with their legal guardian."""

    actor: Actor
    on: date


def _summons(t: Transition, step: RecordSummonsInput) -> None:
    t.state.summons_on = step.on


RECORD_SUMMONS = StepDeclaration(
    RecordSummonsInput,
    update="record_summons",
    audit="obligation_summons",
    label="convocation au titre de l'obligation de formation",
    roles=STAFF,
    stages=OPEN,
    stage_refusal="Le dossier est clôturé.",
    check=lambda state, step: require(
        age_on(state.birth_date, step.on) < 18,
        "La convocation au titre de l'obligation de formation ne concerne que les mineurs.",
        "on",
    ),
    effect=_summons,
    route=Route(
        "summons",
        "Record the obligation de formation summons of a minor (starts the 2-month legal clock).",
        example={"on": "2026-01-02"},
    ),
)


@dataclass
class RecordObligationReportInput:
    """The summoned minor was reported to the président du conseil départemental."""

    actor: Actor
    on: date


def _reported(t: Transition, step: RecordObligationReportInput) -> None:
    t.state.obligation_reported_on = step.on


def _can_report(state: CaseState) -> None:
    require(
        state.summons_on is not None,
        "Aucune convocation au titre de l'obligation de formation n'est enregistrée.",
    )
    require(state.obligation_reported_on is None, "Le signalement est déjà enregistré.")


RECORD_OBLIGATION_REPORT = StepDeclaration(
    RecordObligationReportInput,
    update="record_obligation_report",
    audit="obligation_reported",
    label="signalement au conseil départemental envoyé",
    roles=STAFF,
    stages=ANY_STAGE,  # a closed case's report stays due
    precondition=_can_report,
    effect=_reported,
    route=Route(
        "obligation-report",
        "Record that the obligation de formation report was sent to the département "
        "(ends its 2-month legal clock).",
        example={"on": "2026-03-02"},
    ),
)

# ---------------------------------------------------------------- identified again


@dataclass
class ReidentifyInput:
    """The same young person was identified again (a later list, another partner)."""

    actor: Actor
    source: Source
    identified_at: datetime


def _reidentify(t: Transition, step: ReidentifyInput) -> None:
    s = t.state
    if step.source == Source.DROIT_AU_RETOUR and not s.droit_retour_at:
        s.droit_retour_at = step.identified_at
        if Rule.DROIT_RETOUR_AGAIN in s.rules:
            # A new request: the 15 days run from it, whatever interview came before.
            s.interview_held = False
    if s.stage in (Stage.INJOIGNABLE, Stage.CLOTURE):
        t.reopen(StageReason.REIDENTIFIED)
    if s.referent_id:
        s.notices.append(Notice(REIDENTIFIED_NOTICE, step.identified_at, step.source.value))


REIDENTIFY = StepDeclaration(
    ReidentifyInput,
    update="reidentify",
    audit="reidentified",
    label="nouveau repérage",
    roles=frozenset({Role.COORDINATEUR, Role.PARTENAIRE}),
    stages=ANY_STAGE,
    effect=_reidentify,
    route=NO_ROUTE,  # sent by intake and referrals, never by its own HTTP route
)


# ---------------------------------------------------------------- rectification


@dataclass
class RectifyBirthDateInput:
    """The young person's birth date was rectified (right of rectification): the age clocks
    follow the new date."""

    actor: Actor
    birth_date: date


def _rectify_birth_date(t: Transition, step: RectifyBirthDateInput) -> None:
    t.state.birth_date = step.birth_date


RECTIFY_BIRTH_DATE = StepDeclaration(
    RectifyBirthDateInput,
    update="rectify_birth_date",
    audit="birth_date_rectified",
    label="rectification de la date de naissance",
    roles=STAFF,
    stages=ANY_STAGE,
    effect=_rectify_birth_date,
    recorded=lambda step: {"fields": ["birth_date"]},  # never the date itself
    route=NO_ROUTE,  # sent by the rectification of the person (rights service)
)


LIFECYCLE_STEPS: tuple[StepDeclaration, ...] = (
    ASSIGN_REFERENT,
    CLOSE_CASE,
    REOPEN_CASE,
    RECORD_SUMMONS,
    RECORD_OBLIGATION_REPORT,
    REIDENTIFY,
    RECTIFY_BIRTH_DATE,
)
