"""SQLAlchemy 2.0 models: reference data, cases (read model + identity), audit log, outbox."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from filrouge.core.clock import as_utc
from filrouge.core.domain import ImportStatus, NoticeStatus, OutboxStatus, ReviewStatus, Stage
from filrouge.core.local_time import platform_time_zone


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite drops the offset otherwise)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        utc = as_utc(value)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return as_utc(value) if value is not None else None


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime(), dict[str, Any]: JSON}


class Platform(Base):
    """A PSAD: a territory, its structures and its timer policy."""

    __tablename__ = "platforms"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    region: Mapped[str] = mapped_column(String(100), default="")
    territory: Mapped[dict[str, Any]] = mapped_column(default=dict)
    policy: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # An IANA zone chosen by an administrator; None: the zone its territory lies in.
    time_zone: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime]

    @property
    def zone_name(self) -> str:
        """The zone its dates are shown in (mails, pages, exports)."""
        return platform_time_zone(self.territory, self.time_zone)


class Structure(Base):
    """A partner structure of a platform (Mission locale, MLDS, CIO...)."""

    __tablename__ = "structures"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    platform_id: Mapped[str] = mapped_column(ForeignKey("platforms.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(40))


class User(Base):
    """A person using the system (référent, coordinateur, pilote, partenaire, admin)."""

    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    display_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320))
    role: Mapped[str] = mapped_column(String(20), index=True)
    platform_id: Mapped[str | None] = mapped_column(ForeignKey("platforms.id"), index=True)
    structure_id: Mapped[str | None] = mapped_column(ForeignKey("structures.id"))
    # A regional pilot's Région: they see, and are told about, its platforms only.
    region: Mapped[str | None] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]
    # Argon2id hash (PHC string); None: no password login, only a token or OpenID Connect.
    password_hash: Mapped[str | None] = mapped_column(String(200))
    password_changed_at: Mapped[datetime | None]


class ApiToken(Base):
    """A personal API token; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(lazy="joined")


class UserSession(Base):
    """A browser session: only the SHA-256 of its cookie and of its CSRF token are stored."""

    __tablename__ = "user_sessions"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    csrf_hash: Mapped[str] = mapped_column(String(64))
    method: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(lazy="joined")


class LoginFailure(Base):
    """A failed login, counted per account and per client IP (both hashed) within a window."""

    __tablename__ = "login_failures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(index=True)

    __table_args__ = (Index("ix_login_failures_key_at", "key", "at"),)


class OidcLoginFlow(Base):
    """An OpenID Connect login in progress, keyed by the SHA-256 of its state; used once."""

    __tablename__ = "oidc_login_flows"

    state_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    nonce: Mapped[str] = mapped_column(String(100))
    code_verifier: Mapped[str] = mapped_column(String(200))
    redirect_url: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(index=True)


class AccountActivation(Base):
    """A one-use link for a user to set their own password; only its SHA-256 is stored."""

    __tablename__ = "account_activations"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class AdminAuditEvent(Base):
    """A credential action: who (None: the command line), on whom, what, when; no secret."""

    __tablename__ = "admin_audit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(index=True)
    actor_id: Mapped[str | None] = mapped_column(String(40))
    action: Mapped[str] = mapped_column(String(40))
    target_user_id: Mapped[str | None] = mapped_column(String(40), index=True)
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Case(Base):
    """The read model of one case, kept current by the workflow's activities."""

    __tablename__ = "cases"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    platform_id: Mapped[str] = mapped_column(ForeignKey("platforms.id"))
    source: Mapped[str] = mapped_column(String(40))
    identified_at: Mapped[datetime]
    created_by: Mapped[str | None] = mapped_column(String(40))
    stage: Mapped[str] = mapped_column(String(20), default=Stage.A_ROUTER)
    referent_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    structure_id: Mapped[str | None] = mapped_column(String(40))
    stage_entered_at: Mapped[datetime | None]
    next_deadline_kind: Mapped[str | None] = mapped_column(String(60))
    next_deadline_at: Mapped[datetime | None]
    overdue_since: Mapped[datetime | None]
    escalated_since: Mapped[datetime | None]
    interview_at: Mapped[datetime | None]
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    outcome: Mapped[str | None] = mapped_column(String(40))
    closed_at: Mapped[datetime | None]
    state_version: Mapped[int] = mapped_column(Integer, default=-1)
    audit_seq: Mapped[int] = mapped_column(Integer, default=0)
    audit_head: Mapped[str] = mapped_column(String(64), default="")
    updated_at: Mapped[datetime]

    identity: Mapped[CaseIdentity] = relationship(lazy="joined", uselist=False)

    __table_args__ = (
        Index("ix_cases_platform_stage", "platform_id", "stage"),
        Index("ix_cases_referent_stage", "referent_id", "stage"),
        Index("ix_cases_next_deadline", "next_deadline_at"),
        # Covers the platform's lists and dashboard: the dashboard's counters, and the
        # filtering, counting and ordering of « Mes dossiers » and the coordinator's list,
        # read this index only (the page's 50 rows are then loaded by id).
        Index(
            "ix_cases_platform_lists",
            "platform_id",
            "referent_id",
            "stage",
            "overdue_since",
            "next_deadline_at",
            "escalated_since",
            "structure_id",
            "identified_at",
            "id",
        ),
    )


class CaseIdentity(Base):
    """Personal data of the young person (DOMAIN.md minimisation list), erasable on its own."""

    __tablename__ = "case_identities"

    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    last_name: Mapped[str | None] = mapped_column(String(100))
    first_name: Mapped[str | None] = mapped_column(String(100))
    sex: Mapped[str | None] = mapped_column(String(1))
    birth_date: Mapped[date | None] = mapped_column(Date)
    ine: Mapped[str | None] = mapped_column(String(11), index=True)
    # Normalised last name | first name | birth date: finds possible duplicates without an INE.
    name_key: Mapped[str | None] = mapped_column(String(250), index=True)
    address: Mapped[str | None] = mapped_column(String(300))
    postal_code: Mapped[str | None] = mapped_column(String(5))
    commune_insee: Mapped[str | None] = mapped_column(String(5))
    commune_name: Mapped[str | None] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(20))
    email: Mapped[str | None] = mapped_column(String(320))
    guardian_name: Mapped[str | None] = mapped_column(String(200))
    guardian_phone: Mapped[str | None] = mapped_column(String(20))
    school_uai: Mapped[str | None] = mapped_column(String(8))
    school_name: Mapped[str | None] = mapped_column(String(200))
    last_training: Mapped[str | None] = mapped_column(String(200))
    level: Mapped[str | None] = mapped_column(String(50))
    leaving_date: Mapped[date | None] = mapped_column(Date)
    convocation_consent: Mapped[bool] = mapped_column(Boolean, default=False)


class CaseKey(Base):
    """A case's secret key: the audit chain's seals of its personal texts are HMACs under it
    (`core.audit`). Deleted at the erasure, so no seal can be checked against a guess."""

    __tablename__ = "case_keys"

    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    key: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime]


class AuditEvent(Base):
    """Append-only, hash-chained log: one row per thing that happened to a case."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"))
    seq: Mapped[int] = mapped_column(Integer)
    key: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(60))
    occurred_at: Mapped[datetime]
    actor_id: Mapped[str | None] = mapped_column(String(40))
    actor_role: Mapped[str | None] = mapped_column(String(20))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    __table_args__ = (
        UniqueConstraint("case_id", "seq", name="uq_audit_case_seq"),
        UniqueConstraint("case_id", "key", name="uq_audit_case_key"),
    )


class OutboxMessage(Base):
    """One e-mail per business key (case, kind, recipient, deadline): sent at most once."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    business_key: Mapped[str] = mapped_column(String(300), unique=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    kind: Mapped[str] = mapped_column(String(60))
    recipient_role: Mapped[str] = mapped_column(String(20))
    to_address: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(300))
    message_id: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(20), default=OutboxStatus.PENDING, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]


class PilotDigest(Base):
    """One digest mail to a Région's pilots: counts per platform, never a case; sent once."""

    __tablename__ = "pilot_digests"

    id: Mapped[str] = mapped_column(String(200), primary_key=True)  # core.digest.digest_key
    region: Mapped[str] = mapped_column(String(100), index=True)
    period_start: Mapped[datetime]
    period_end: Mapped[datetime]
    # [{platform_id, platform_name, newly_stuck, stuck_now}]: counts only.
    counts: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    message_id: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(20), default=OutboxStatus.PENDING, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]


class CaseAccess(Base):
    """Who read a case's personal data, when, and through which view (append-only)."""

    __tablename__ = "case_access_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    platform_id: Mapped[str] = mapped_column(String(40), index=True)
    user_id: Mapped[str] = mapped_column(String(40))
    role: Mapped[str] = mapped_column(String(20))
    view: Mapped[str] = mapped_column(String(40))
    at: Mapped[datetime]


class Import(Base):
    """One uploaded list and what became of it (counters kept current while it runs)."""

    __tablename__ = "imports"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    platform_id: Mapped[str] = mapped_column(ForeignKey("platforms.id"), index=True)
    uploaded_by: Mapped[str] = mapped_column(String(40))
    filename: Mapped[str] = mapped_column(String(255), default="")
    content_sha256: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20), default=ImportStatus.PENDING)
    identified_on: Mapped[date] = mapped_column(Date)
    rows_read: Mapped[int] = mapped_column(Integer, default=0)
    created: Mapped[int] = mapped_column(Integer, default=0)
    reidentified: Mapped[int] = mapped_column(Integer, default=0)
    possible_duplicates: Mapped[int] = mapped_column(Integer, default=0)
    in_file_duplicates: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    to_route: Mapped[int] = mapped_column(Integer, default=0)
    processed: Mapped[int] = mapped_column(Integer, default=0)
    ignored_columns: Mapped[list[str]] = mapped_column(JSON, default=list)
    dropped_columns: Mapped[list[str]] = mapped_column(JSON, default=list)
    error: Mapped[str | None] = mapped_column(Text)
    summary_status: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]

    __table_args__ = (
        UniqueConstraint("platform_id", "content_sha256", name="uq_imports_platform_content"),
    )


class ImportFile(Base):
    """The kept copy of a list once read: its recognised columns, re-serialised from the rows
    (`filrouge.intake.kept`), for the rejected-rows file. Never the file as sent."""

    __tablename__ = "import_files"

    import_id: Mapped[str] = mapped_column(ForeignKey("imports.id"), primary_key=True)
    content: Mapped[bytes] = mapped_column(LargeBinary)


class ImportUploadPart(Base):
    """The file as sent, in parts, only until the worker has read it: the transaction that
    stages its rows and keeps its recognised columns deletes them."""

    __tablename__ = "import_upload_parts"

    import_id: Mapped[str] = mapped_column(ForeignKey("imports.id"), primary_key=True)
    part: Mapped[int] = mapped_column(Integer, primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class ImportRow(Base):
    """The fate of one data row of an import (its validated identity until it is placed)."""

    __tablename__ = "import_rows"

    import_id: Mapped[str] = mapped_column(ForeignKey("imports.id"), primary_key=True)
    row_number: Mapped[int] = mapped_column(Integer, primary_key=True)
    batch: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(20))
    done: Mapped[bool] = mapped_column(Boolean, default=False)
    case_id: Mapped[str | None] = mapped_column(String(40))
    reasons: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    __table_args__ = (Index("ix_import_rows_batch", "import_id", "batch"),)


class DuplicateReview(Base):
    """A possible duplicate (same name and birth date, no INE) waiting for a coordinator."""

    __tablename__ = "duplicate_reviews"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    platform_id: Mapped[str] = mapped_column(ForeignKey("platforms.id"), index=True)
    import_id: Mapped[str | None] = mapped_column(String(40))
    row_number: Mapped[int | None] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(40))
    identified_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(40))
    candidate_case_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    identity: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(20), default=ReviewStatus.OPEN, index=True)
    resolved_case_id: Mapped[str | None] = mapped_column(String(40))
    resolved_by: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime]
    resolved_at: Mapped[datetime | None]


class CaseNote(Base):
    """A free-text note, visible only inside the platform of its author; erased with the case."""

    __tablename__ = "case_notes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    platform_id: Mapped[str] = mapped_column(String(40))
    author_id: Mapped[str] = mapped_column(String(40))
    text: Mapped[str | None] = mapped_column(String(2000))
    created_at: Mapped[datetime]


class CreationRequest(Base):
    """What one identification request (a caller's Idempotency-Key) became, so a replay
    answers it again instead of placing it anew; its fingerprint goes at erasure."""

    __tablename__ = "creation_requests"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    caller_id: Mapped[str] = mapped_column(String(40))
    # Salted SHA-256 of the request body: a different body under the same key is refused.
    salt: Mapped[str] = mapped_column(String(32))
    fingerprint: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20))
    platform_id: Mapped[str] = mapped_column(String(40))
    case_id: Mapped[str | None] = mapped_column(String(40), index=True)
    review_id: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime]


class CrossingNotice(Base):
    """An identification sent from another platform matched one of this platform's cases:
    something for its coordinators to review. It holds no personal data and no sender."""

    __tablename__ = "crossing_notices"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    platform_id: Mapped[str] = mapped_column(ForeignKey("platforms.id"), index=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    source: Mapped[str] = mapped_column(String(40))
    identified_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(20), default=NoticeStatus.OPEN)
    created_at: Mapped[datetime]
    resolved_by: Mapped[str | None] = mapped_column(String(40))
    resolved_at: Mapped[datetime | None]
