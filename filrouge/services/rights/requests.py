"""Data-subject rights: access (the complete file), rectification and erasure on request."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client, WorkflowUpdateStage
from temporalio.service import RPCError, RPCStatusCode

from filrouge.core.caller import Caller
from filrouge.core.cases.contracts import case_workflow_id
from filrouge.core.cases.history import Entry, describe
from filrouge.core.cases.pathway import AuditEvent as NewEvent
from filrouge.core.cases.registry import declaration_of
from filrouge.core.cases.steps import CloseCaseInput, RectifyBirthDateInput
from filrouge.core.clock import utcnow
from filrouge.core.domain import Outcome, Stage
from filrouge.core.errors import Conflict, Forbidden, Unavailable
from filrouge.core.identity import NAME_KEY_FIELDS, PERSON_FIELD_NAMES
from filrouge.core.retention import ErasePersonalDataInput, obligation_running
from filrouge.intake.validate import normalized_name_key
from filrouge.services.access.cases import CaseAccess, case_access, readable
from filrouge.services.cases.creation import validated_identity
from filrouge.services.cases.reading import CaseReader
from filrouge.services.cases.service import CaseService
from filrouge.services.retention.erasure import erase_case
from filrouge.services.retention.kept_lists import forget_in_lists
from filrouge.store.audit_repository import AuditRepository
from filrouge.store.engine import transaction
from filrouge.store.models import AuditEvent, Case, CaseIdentity, CaseNote
from filrouge.store.repositories import CaseRepository, ReferenceRepository

ERASURE_REASON = "effacement à la demande"


@dataclass(frozen=True)
class CaseExport:
    """A young person's complete file, as their platform sees it."""

    exported_at: datetime
    case: Case
    person: CaseIdentity | None
    history: list[AuditEvent]
    notes: list[CaseNote]
    # For the printable page: who follows the case, and the history in French, its dates in
    # the platform's time zone.
    platform_name: str = ""
    referent_name: str | None = None
    time_zone: str | None = None
    readable_history: list[Entry] = field(default_factory=list)


@dataclass(frozen=True)
class Rectification:
    case_id: str
    changed_fields: list[str]
    person: CaseIdentity


@dataclass(frozen=True)
class Erasure:
    case_id: str
    closed: bool
    erased: bool
    history_deleted: bool
    list_rows: int = 0


async def export(session: AsyncSession, caller: Caller, case_id: str, view: str) -> CaseExport:
    """Right of access: the complete file (the read is logged under `view`)."""
    reader = CaseReader(session)
    case = await reader.case(caller, case_id, view)
    history = await AuditRepository(session).history(case.id)
    notes = await reader.notes_of(caller, case)
    refs = ReferenceRepository(session)
    platform = await refs.platform(case.platform_id)
    referent = await refs.user(case.referent_id) if case.referent_id else None
    zone = platform.zone_name if platform else None
    names = {u.id: u.display_name for u in await refs.users(case.platform_id)}
    lines = [describe(event, names, zone) for event in history]  # oldest first
    return CaseExport(
        utcnow(),
        case,
        case.identity,
        history,
        notes,
        platform_name=platform.name if platform else case.platform_id,
        referent_name=referent.display_name if referent else None,
        time_zone=zone,
        readable_history=lines,
    )


async def rectify(
    session: AsyncSession,
    temporal: Client,
    caller: Caller,
    case_id: str,
    changes: dict[str, Any],
) -> Rectification:
    """Rectification by the coordinator or the assigned référent, checked like a creation; the
    audit log lists the changed field names, never their values. The duplicate-matching key
    and, for a new birth date, the case workflow's age clocks follow."""
    audit = AuditRepository(session)
    case = readable(caller, await audit.lock_case(case_id))
    if case_access(caller, case) != CaseAccess.ACT:
        raise Forbidden("Seuls le coordinateur et le référent du dossier peuvent le rectifier.")
    identity = case.identity
    if identity is None:
        raise Conflict("Les données personnelles de ce dossier ont été effacées.")
    current: dict[str, Any] = {name: getattr(identity, name) for name in PERSON_FIELD_NAMES}
    current["convocation_consent"] = identity.convocation_consent
    wanted = current | changes
    consent = bool(wanted.pop("convocation_consent"))
    day = case.identified_at.date()
    person = validated_identity(wanted, day, False, "Rectification refusée")
    person["convocation_consent"] = consent
    changed = sorted(k for k, v in person.items() if current.get(k) != v)
    for name in changed:
        setattr(identity, name, person[name])
    if set(NAME_KEY_FIELDS) & set(changed):
        identity.name_key = normalized_name_key(
            person["last_name"], person["first_name"], person["birth_date"]
        )
    if changed:
        event = NewEvent(
            key=f"rectification:{uuid.uuid4().hex}",
            kind="person_rectified",
            data={"fields": changed},
            actor_id=caller.id,
            actor_role=caller.role.value,
            at=utcnow(),
        )
        await audit.append(case, [event])
    if "birth_date" in changed:
        await _move_age_clocks(temporal, caller, case.id, person["birth_date"], event.key)
    return Rectification(case.id, changed, identity)


async def _move_age_clocks(
    temporal: Client, caller: Caller, case_id: str, birth_date: date, key: str
) -> None:
    """Tell the case workflow the rectified birth date (its 18th and 26th birthday clocks).

    Waits until the workflow accepted it, not until it recorded it: the workflow's audit write
    waits for this request's transaction, which holds the case row.
    """
    handle = temporal.get_workflow_handle(case_workflow_id(case_id))
    step = RectifyBirthDateInput(caller.actor, birth_date)
    try:
        await handle.start_update(
            declaration_of(step).update,
            step,
            id=key,
            wait_for_stage=WorkflowUpdateStage.ACCEPTED,
        )
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            return  # the pathway has ended (retention reached): no clock left to move
        raise Unavailable(
            "Le moteur de parcours est momentanément indisponible ; réessayez."
        ) from exc


@dataclass
class ErasureOnRequest:
    """Erasure on request (coordinator): built once with the clients it needs."""

    sessions: async_sessionmaker[AsyncSession]
    temporal: Client
    cases: CaseService

    async def erase(self, caller: Caller, case_id: str) -> Erasure:
        """Close the case if open, then erase its personal data and delete its Temporal
        history; refused while a legal deadline is running."""
        case = await self._erasable(caller, case_id)
        closed = case.stage != Stage.CLOTURE
        if closed:
            step = CloseCaseInput(caller.actor, Outcome.AUTRE, ERASURE_REASON)
            await self.cases.run_step(caller, case_id, step, f"erase-{case_id}")
        async with transaction(self.sessions) as session:  # while the identity is there
            list_rows = await forget_in_lists(session, case_id)
        done = await erase_case(
            self.sessions,
            self.temporal,
            ErasePersonalDataInput(case_id, "request", caller.id, caller.role.value),
            history_may_wait=True,
        )
        return Erasure(case_id, closed, done.erased, done.history_deleted, list_rows)

    async def _erasable(self, caller: Caller, case_id: str) -> Case:
        async with transaction(self.sessions) as session:
            case = readable(caller, await CaseRepository(session).get(case_id))
            history = await AuditRepository(session).history(case.id)
            birth_date = case.identity.birth_date if case.identity else None
        until = obligation_running(
            ((e.kind, e.data or {}) for e in history), birth_date, utcnow().date()
        )
        if until is not None:
            raise Conflict(
                "Effacement impossible pour l'instant : le jeune est mineur et convoqué au titre "
                "de l'obligation de formation (délai légal en cours jusqu'à ses 18 ans, le "
                f"{until:%d/%m/%Y}). Le dossier doit être conservé jusque-là."
            )
        return case
