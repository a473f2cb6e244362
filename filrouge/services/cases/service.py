"""Case use cases that write: create (the one pipeline), assign, run a human step."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client, WorkflowQueryFailedError, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from filrouge.core.caller import Caller
from filrouge.core.cases.contracts import case_workflow_id
from filrouge.core.cases.declaration import StepDeclaration
from filrouge.core.cases.registry import allowed_steps
from filrouge.core.cases.steps import AssignReferentInput, Step
from filrouge.core.domain import CreationStatus, Role, StepResult
from filrouge.core.errors import Conflict, DomainError, Invalid, Unavailable
from filrouge.services.access.cases import CaseAccess, actionable, case_access, readable
from filrouge.services.cases.creation import CaseCreation, Identification
from filrouge.services.cases.launch import send_step
from filrouge.services.cases.placement import DUPLICATE_REVIEW, REIDENTIFIED, TO_ROUTE, Placed
from filrouge.store.engine import transaction
from filrouge.store.models import Case
from filrouge.store.repositories import CaseRepository, ReferenceRepository
from workflows.case import CaseWorkflow

# What POST /cases answers, by what became of the young person.
REPLAYED_ACK = "replayed_ack"
ERASED_SINCE = (
    "Requête déjà traitée : le dossier créé alors a depuis été effacé (données personnelles). "
    "Rien n'a été refait."
)
NEW, EXISTS, REPLAYED, PENDING_REVIEW, ELSEWHERE = (
    CreationStatus.CREATED,
    CreationStatus.EXISTS,
    CreationStatus.REPLAYED,
    CreationStatus.DUPLICATE_REVIEW,
    CreationStatus.TRANSMITTED,
)
MESSAGES = {
    NEW: "Dossier créé.",
    TO_ROUTE: "Dossier créé : aucun référent disponible, la plateforme l'attribuera.",
    EXISTS: "Ce jeune est déjà suivi : le repérage est ajouté à son dossier.",
    REPLAYED: "Requête déjà traitée : voici le dossier créé alors.",
    REPLAYED_ACK: "Requête déjà traitée.",
    PENDING_REVIEW: "Signalement enregistré : un coordinateur vérifie s'il s'agit d'un jeune "
    "déjà suivi.",
    ELSEWHERE: "Signalement enregistré : le jeune relève d'une autre plateforme, qui le prend "
    "en charge.",
}


@dataclass(frozen=True)
class CreatedCase:
    """What POST /cases did: `case` is set when the caller may see it (else an acknowledgement)."""

    status: str
    message: str
    case: Case | None = None
    with_person: bool = False


@dataclass(frozen=True)
class Assigned:
    """One case of a bulk assignment: its step result, or why it was refused."""

    case_id: str
    ok: bool
    result: StepResult | None = None
    error: str | None = None


def step_update_id(user_id: str, step: Step, idempotency_key: str | None) -> str:
    """Scoped to the caller and the step, so a key reused for another step never replays it.

    Hashed to a bounded length: the id becomes the audit key (200 characters at most).
    """
    if not idempotency_key:
        return str(uuid.uuid4())
    digest = hashlib.sha256(f"{user_id}|{idempotency_key}".encode()).hexdigest()[:32]
    return f"{type(step).__name__}:{digest}"


@dataclass
class CaseService:
    """Built once per application with the session factory and the Temporal client."""

    sessions: async_sessionmaker[AsyncSession]
    temporal: Client
    task_queue: str
    search_attributes: bool = True
    creation: CaseCreation = field(init=False)

    def __post_init__(self) -> None:
        self.creation = CaseCreation(
            self.sessions, self.temporal, self.task_queue, self.search_attributes
        )

    async def create(self, caller: Caller, given: Identification, key: str | None) -> CreatedCase:
        """A case for the platform the caller names, through the one creation pipeline."""
        placed = await self.creation.identify(caller, given, key)
        if placed.status == DUPLICATE_REVIEW and placed.platform_id == caller.platform_id:
            return CreatedCase(PENDING_REVIEW, MESSAGES[PENDING_REVIEW])
        case = await self.creation.case(placed.case_id) if placed.case_id else None
        if case is None or case.platform_id != caller.platform_id:
            # Routed to, or already followed by, another platform: not the caller's to open,
            # and the same answer either way (its existence is not revealed).
            return CreatedCase(ELSEWHERE, MESSAGES[ELSEWHERE])
        readable_now = case_access(caller, case) != CaseAccess.NONE
        if placed.replayed:
            return _replayed(caller, placed, case, readable_now)
        status = EXISTS if placed.status == REIDENTIFIED else NEW
        message = MESSAGES[TO_ROUTE if placed.status == TO_ROUTE else status]
        # A partner gets an acknowledgement, not the file: they follow nobody. The staff
        # member who sent the identity gets it back; a known case only if they read it.
        with_person = caller.is_staff and (status == NEW or readable_now)
        return CreatedCase(status, message, case, with_person=with_person)

    async def get(self, caller: Caller, case_id: str) -> Case:
        """The case if the caller may read it (NotFound otherwise)."""
        async with transaction(self.sessions) as session:
            return readable(caller, await CaseRepository(session).get(case_id))

    async def referent_structure(self, caller: Caller, referent_id: str) -> str | None:
        """The structure of an active référent of the caller's platform; Invalid otherwise."""
        async with transaction(self.sessions) as session:
            referent = await ReferenceRepository(session).user(referent_id)
        if (
            referent is None
            or not referent.active
            or referent.role != Role.REFERENT.value
            or referent.platform_id != caller.platform_id
        ):
            raise Invalid("Ce référent n'existe pas ou n'est pas actif sur votre plateforme.")
        return referent.structure_id

    async def assign_many(
        self, caller: Caller, case_ids: Iterable[str], referent_id: str, key: str | None
    ) -> list[Assigned]:
        """Coordinator: assign many cases to one référent; each case answers on its own."""
        structure_id = await self.referent_structure(caller, referent_id)
        out = []
        for case_id in dict.fromkeys(case_ids):
            step = AssignReferentInput(caller.actor, referent_id, structure_id)
            step_key = f"{key}|{case_id}" if key else None
            try:
                await self.get(caller, case_id)
                result = await self.run_step(caller, case_id, step, step_key)
            except DomainError as error:
                out.append(Assigned(case_id, ok=False, error=error.message))
                continue
            out.append(Assigned(case_id, ok=True, result=result))
        return out

    async def allowed_steps(self, caller: Caller, case: Case) -> list[StepDeclaration]:
        """The steps the caller may take now on a case they read (none when they only read it,
        or when it has no running pathway): `registry.allowed_steps` on the workflow's state."""
        if case_access(caller, case) != CaseAccess.ACT:
            return []
        handle = self.temporal.get_workflow_handle(case_workflow_id(case.id))
        try:
            state = await handle.query(CaseWorkflow.current_state)
        except WorkflowQueryFailedError:
            return []  # still being created
        except RPCError as exc:
            if exc.status == RPCStatusCode.NOT_FOUND:
                return []  # the pathway has ended (retention reached)
            raise _rpc_error(exc) from exc
        return allowed_steps(state, caller.role)

    async def run_step(
        self, caller: Caller, case_id: str, step: Step, idempotency_key: str | None
    ) -> StepResult:
        """Send a human step to the case workflow; Conflict with the reason when refused."""
        async with transaction(self.sessions) as session:
            actionable(caller, await CaseRepository(session).get(case_id), type(step))
        handle = self.temporal.get_workflow_handle(case_workflow_id(case_id))
        try:
            result = await send_step(handle, step, step_update_id(caller.id, step, idempotency_key))
        except WorkflowUpdateFailedError as exc:
            cause = exc.cause
            if isinstance(cause, ApplicationError) and cause.type == "StepRejected":
                field = str(cause.details[0]) if cause.details else None
                raise Conflict(cause.message, {field: cause.message} if field else None) from exc
            raise
        except RPCError as exc:
            raise _rpc_error(exc) from exc
        return result


def _replayed(caller: Caller, placed: Placed, case: Case, readable_now: bool) -> CreatedCase:
    """A replay answers the case only to a caller who may read it now, and never an erased one."""
    if not readable_now:
        return CreatedCase(REPLAYED, MESSAGES[REPLAYED_ACK])
    if placed.erased:
        raise Conflict(ERASED_SINCE)
    return CreatedCase(REPLAYED, MESSAGES[REPLAYED], case, with_person=caller.is_staff)


def _rpc_error(exc: RPCError) -> DomainError:
    if exc.status == RPCStatusCode.NOT_FOUND:
        return Conflict("Ce dossier n'a plus de parcours actif (archivé).")
    return Unavailable("Le moteur de parcours est momentanément indisponible ; réessayez.")
