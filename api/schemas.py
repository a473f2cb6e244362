"""Request and response bodies of the HTTP API."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    create_model,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from filrouge.core.domain import (
    Role,
    Source,
    Stage,
    StructureKind,
)
from filrouge.core.identity import IDENTITY_FIELDS, MAX_LENGTHS, IdentityField
from filrouge.intake.minimisation import first_forbidden, forbidden_message


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("indiquez le fuseau horaire (ex. 2026-12-01T10:00:00+01:00)")
    return value


AwareDatetime = Annotated[datetime, AfterValidator(_aware)]
ShortText = Annotated[str, Field(min_length=1, max_length=200)]
Note = Annotated[str, Field(min_length=1, max_length=2000)]
TimeZoneName = Annotated[str, Field(min_length=1, max_length=64, examples=["America/Cayenne"])]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @model_validator(mode="before")
    @classmethod
    def _refuse_forbidden_categories(cls, data: Any) -> Any:
        """Minimisation: a field of a forbidden category gets its own 422, not "unknown"."""
        if isinstance(data, dict):
            unknown = [str(k) for k in data if k not in cls.model_fields]
            found = first_forbidden(unknown)
            if found is not None:
                name, category = found
                raise PydanticCustomError(
                    "forbidden_category", forbidden_message(name, category), {"field": name}
                )
        return data

    @field_validator("*", mode="after")
    @classmethod
    def _refuse_nul_character(cls, value: Any) -> Any:
        """PostgreSQL text cannot hold U+0000: refused here, on every backend, with a 422."""
        texts = value if isinstance(value, list) else [value]
        if any(isinstance(text, str) and "\x00" in text for text in texts):
            raise ValueError("caractère nul (U+0000) interdit")
        return value


# ---------------------------------------------------------------- cases


class PersonIn(Body):
    """Identity and contacts of the young person (only what the purpose needs)."""

    # Explicit for its API checks (patterns, e-mail, phone); `core.identity` gives the sizes,
    # and a test checks the fields are the declared ones, in order.
    last_name: ShortText
    first_name: ShortText
    sex: Annotated[str, Field(pattern="^[FMX]$")] | None = None
    birth_date: date
    ine: Annotated[str, Field(pattern=r"^[0-9A-Za-z]{11}$")] | None = None
    address: Annotated[str, Field(max_length=MAX_LENGTHS["address"])] | None = None
    postal_code: Annotated[str, Field(pattern=r"^\d{5}$")] | None = None
    commune_insee: Annotated[str, Field(pattern=r"^(\d{5}|2[AB]\d{3})$")] | None = None
    commune_name: Annotated[str, Field(max_length=MAX_LENGTHS["commune_name"])] | None = None
    phone: Annotated[str, Field(max_length=MAX_LENGTHS["phone"])] | None = None
    email: EmailStr | None = None
    guardian_name: Annotated[str, Field(max_length=MAX_LENGTHS["guardian_name"])] | None = None
    guardian_phone: Annotated[str, Field(max_length=MAX_LENGTHS["guardian_phone"])] | None = None
    school_uai: Annotated[str, Field(pattern=r"^\d{7}[A-Za-z]$")] | None = None
    school_name: Annotated[str, Field(max_length=MAX_LENGTHS["school_name"])] | None = None
    last_training: Annotated[str, Field(max_length=MAX_LENGTHS["last_training"])] | None = None
    level: Annotated[str, Field(max_length=MAX_LENGTHS["level"])] | None = None
    leaving_date: date | None = None
    convocation_consent: bool = False

    @field_validator("phone", "guardian_phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        if value is None:
            return None
        digits = re.sub(r"[\s.\-]", "", value)
        if not re.fullmatch(r"(\+\d{11,12}|0\d{9})", digits):
            raise ValueError("numéro de téléphone invalide (ex. 06 12 34 56 78)")
        return digits


class CreateCaseIn(Body):
    platform_id: ShortText
    source: Source
    identified_on: date | None = Field(
        default=None, description="Date de repérage (par défaut : aujourd'hui)."
    )
    person: PersonIn


class DeadlineOut(BaseModel):
    kind: str
    at: datetime
    overdue: bool


class _FromAttributes(BaseModel):
    model_config = ConfigDict(from_attributes=True)


def person_model(
    name: str, base: type[BaseModel], field: Callable[[IdentityField], tuple[Any, Any]]
) -> Any:
    """A model with one field per identity field (`core.identity`), in the declaration's order;
    `field` gives each one's (annotation, default). Subclass it to name the schema."""
    fields: dict[str, Any] = {f.name: field(f) for f in IDENTITY_FIELDS}
    return create_model(f"_{name}Fields", __base__=base, **fields)


def _stored(f: IdentityField) -> tuple[Any, Any]:
    """As stored: every listed field may be empty (erased, or never known)."""
    return (f.type if not f.in_list else f.type | None, ...)


def _patched(f: IdentityField) -> tuple[Any, Any]:
    return (f.type | None, None)


class PersonOut(person_model("PersonOut", _FromAttributes, _stored)):  # type: ignore[misc]
    pass


class CaseOut(BaseModel):
    id: str
    platform_id: str
    source: str
    identified_at: datetime
    stage: Stage
    referent_id: str | None
    structure_id: str | None
    stage_entered_at: datetime | None
    next_deadline: DeadlineOut | None
    overdue_since: datetime | None = Field(
        default=None, description="Échéance dépassée la plus ancienne encore sans suite."
    )
    interview_at: datetime | None
    failed_attempts: int
    outcome: str | None
    closed_at: datetime | None
    person: PersonOut | None = None


class CaseCreatedOut(CaseOut):
    """The answer to POST /cases when the case is the caller's to see."""

    status: Literal["created", "exists", "replayed"] = Field(
        description="created : nouveau dossier (201) ; exists : jeune déjà suivi, le repérage "
        "est ajouté à son dossier (200) ; replayed : même Idempotency-Key, même réponse (200)."
    )
    message: str


class AcknowledgementOut(BaseModel):
    """The answer to POST /cases when no case of the caller's platform can be shown (202)."""

    status: Literal["duplicate_review", "transmitted", "replayed"] = Field(
        description="duplicate_review : doublon possible, un coordinateur décide ; "
        "transmitted : le jeune relève d'une autre plateforme ; replayed : même "
        "Idempotency-Key, mais le dossier n'est plus lisible par l'appelant."
    )
    message: str


class CasePage(BaseModel):
    items: list[CaseOut]
    total: int
    limit: int
    offset: int


class StepOut(BaseModel):
    case_id: str
    stage: Stage
    version: int
    next_deadline_kind: str | None
    next_deadline_at: datetime | None


class EventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    seq: int
    kind: str
    occurred_at: datetime
    actor_id: str | None
    actor_role: str | None
    data: dict[str, Any]
    hash: str


class AccessOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    case_id: str
    user_id: str
    role: str
    view: str
    at: datetime


class AccessPage(BaseModel):
    items: list[AccessOut]
    total: int
    limit: int
    offset: int


class VerificationOut(BaseModel):
    case_id: str
    ok: bool
    events_checked: int
    first_bad_seq: int | None
    problem: str | None


# ---------------------------------------------------------------- steps

# The bodies of the human steps' routes are built from the step declarations (`api/steps.py`).


# ---------------------------------------------------------------- reference data


class TerritoryIn(Body):
    communes: list[Annotated[str, Field(pattern=r"^(\d{5}|2[AB]\d{3})$")]] = []
    postal_codes: list[Annotated[str, Field(pattern=r"^\d{5}$")]] = []
    departements: list[Annotated[str, Field(pattern=r"^(\d{2,3}|2[AB])$")]] = []


class PolicyIn(Body):
    """Timer policy: ISO 8601 durations (P5D, PT30S, P1M); omitted fields keep their default."""

    reminder_no_contact: str | None = None
    escalation_no_contact: str | None = None
    stuck_escalation: str | None = None
    routing_escalation: str | None = None
    max_failed_attempts: int | None = None
    attempt_spacing: str | None = None
    interview_reminder_before: str | None = None
    interview_unrecorded_reminder: str | None = None
    interview_unrecorded_escalation: str | None = None
    droit_retour_deadline: str | None = None
    decision_escalation: str | None = None
    entry_unconfirmed_reminder: str | None = None
    follow_up_checks: list[str] | None = None
    obligation_report: str | None = None
    retention: str | None = None
    inactivity_closure: str | None = None


class PlatformIn(Body):
    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{1,38}$")]
    name: ShortText
    region: Annotated[str, Field(max_length=100)] = ""
    territory: TerritoryIn = TerritoryIn()
    policy: PolicyIn = PolicyIn()
    time_zone: TimeZoneName | None = Field(
        None, description="IANA zone of its dates; omitted: the zone of its territory."
    )


class TimeZoneIn(Body):
    """The zone of a platform's dates (IANA name); null: the zone of its territory."""

    time_zone: TimeZoneName | None


class PlatformOut(BaseModel):
    id: str
    name: str
    region: str
    territory: dict[str, Any]
    policy: dict[str, Any]
    time_zone: str = Field(description="The zone its dates are shown in (mails, pages).")
    time_zone_chosen: bool = Field(description="False: derived from its territory.")


class StructureIn(Body):
    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{1,38}$")]
    platform_id: ShortText
    name: ShortText
    kind: StructureKind


class StructureOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    platform_id: str
    name: str
    kind: str


class UserIn(Body):
    display_name: ShortText
    email: EmailStr
    role: Role
    platform_id: str | None = None
    structure_id: str | None = None
    # A regional pilot's Région (the `region` of the platforms they see); required for them.
    region: Annotated[str, Field(min_length=1, max_length=100)] | None = None


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    display_name: str
    email: str
    role: str
    platform_id: str | None
    structure_id: str | None
    active: bool


class TokenOut(BaseModel):
    token_id: str
    user_id: str
    token: str = Field(description="Affiché une seule fois : conservez-le.")


# ---------------------------------------------------------------- notes


NOTE_WARNING = (
    "Rappel : une note ne doit contenir ni donnée de santé, ni handicap, ni infraction, "
    "ni nationalité, ni situation familiale. Elle reste visible de votre seule plateforme "
    "et n'est jamais transmise à l'extérieur."
)


class NoteIn(Body):
    text: Note


class NoteOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    case_id: str
    author_id: str
    text: str
    created_at: datetime


class NoteCreatedOut(BaseModel):
    note: NoteOut
    warning: str = Field(description="Rappel des données à ne jamais écrire dans une note.")


# ---------------------------------------------------------------- indicators


class MedianDaysOut(BaseModel):
    identification_to_first_contact: float | None
    first_contact_to_interview: float | None
    interview_to_solution: float | None
    identification_to_solution: float | None


class PlatformIndicatorsOut(BaseModel):
    """Counts of one platform (or `*`: all of them); never a name, a contact or a note."""

    platform_id: str
    identified: int
    followed: int
    by_stage: dict[str, int]
    reached: int
    interviewed: int
    in_solution: int
    maintained_6_months: int
    closed_by_outcome: dict[str, int]
    by_source: dict[str, int]
    by_solution_type: dict[str, int]
    unreachable: int
    unreachable_rate: float | None
    refused: int
    refusal_rate: float | None
    median_days: MedianDaysOut


class IndicatorsOut(BaseModel):
    generated_at: datetime
    platforms: list[PlatformIndicatorsOut]
    total: PlatformIndicatorsOut


# ---------------------------------------------------------------- data-subject rights


class PersonPatchIn(person_model("PersonPatchIn", Body, _patched)):  # type: ignore[misc]
    """Rectification: only the fields sent change; the result is checked like a creation."""


class RectificationOut(BaseModel):
    case_id: str
    changed_fields: list[str]
    person: PersonOut


class CaseExportOut(BaseModel):
    """A young person's complete file for a right-of-access request (the platform's view)."""

    exported_at: datetime
    case: CaseOut
    person: PersonOut | None
    history: list[EventOut]
    notes: list[NoteOut]


class ErasureOut(BaseModel):
    case_id: str
    closed: bool
    erased: bool
    history_deleted: bool
    list_rows_removed: int = 0
    message: str
