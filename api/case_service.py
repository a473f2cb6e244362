"""Case use cases: create a case and start its workflow, run human steps, read state and history."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from api.access import actionable, readable
from api.deps import CurrentUserInfo
from api.errors import Conflict, Invalid, NotFound, Unavailable
from api.schemas import CaseOut, CreateCaseIn, DeadlineOut, PersonOut, StepOut
from filrouge.core.cases.contracts import case_workflow_id as workflow_id
from filrouge.core.cases.steps import Step
from filrouge.core.clock import utcnow
from filrouge.core.domain import Role, StartCaseInput, StepResult, TimerPolicy
from filrouge.core.durations import age_on
from filrouge.intake.validate import normalized_name_key
from filrouge.store.engine import transaction
from filrouge.store.models import Case, CaseIdentity
from filrouge.store.repositories import CaseRepository, ReferenceRepository
from workflows.case import CaseWorkflow, CaseWorkflowInput

MINIMUM_AGE = 16


def new_case_id(user_id: str, idempotency_key: str | None) -> str:
    """Opaque id; derived from the Idempotency-Key so a replayed creation finds the same case."""
    if idempotency_key:
        digest = hashlib.sha256(f"{user_id}|{idempotency_key}".encode()).hexdigest()
        return f"c{digest[:24]}"
    return f"c{uuid.uuid4().hex[:24]}"


def step_update_id(user_id: str, step: Step, idempotency_key: str | None) -> str:
    """Scoped to the caller and the step, so a key reused for another step never replays it.

    Hashed to a bounded length: the id becomes the audit key (200 characters at most).
    """
    if not idempotency_key:
        return str(uuid.uuid4())
    digest = hashlib.sha256(f"{user_id}|{idempotency_key}".encode()).hexdigest()[:32]
    return f"{type(step).__name__}:{digest}"


def case_out(case: Case, *, with_person: bool, now: datetime | None = None) -> CaseOut:
    now = now or utcnow()
    deadline = None
    if case.next_deadline_at and case.next_deadline_kind:
        deadline = DeadlineOut(
            kind=case.next_deadline_kind,
            at=case.next_deadline_at,
            overdue=case.next_deadline_at < now,
        )
    person = PersonOut.model_validate(case.identity) if with_person and case.identity else None
    return CaseOut(
        id=case.id,
        platform_id=case.platform_id,
        source=case.source,
        identified_at=case.identified_at,
        stage=case.stage,  # type: ignore[arg-type]
        referent_id=case.referent_id,
        structure_id=case.structure_id,
        stage_entered_at=case.stage_entered_at,
        next_deadline=deadline,
        overdue_since=case.overdue_since,
        interview_at=case.interview_at,
        failed_attempts=case.failed_attempts,
        outcome=case.outcome,
        closed_at=case.closed_at,
        person=person,
    )


@dataclass
class CaseService:
    sessions: async_sessionmaker[AsyncSession]
    temporal: Client
    task_queue: str
    search_attributes: bool = True

    async def create(
        self, user: CurrentUserInfo, body: CreateCaseIn, idempotency_key: str | None
    ) -> tuple[Case, bool]:
        """Store the case and its identity, start its workflow, return once it is assigned."""
        if user.platform_id != body.platform_id:
            raise NotFound("Plateforme introuvable.")
        identified_on = body.identified_on or utcnow().date()
        if identified_on > utcnow().date():
            raise Invalid("La date de repérage ne peut pas être dans le futur.")
        if age_on(body.person.birth_date, identified_on) < MINIMUM_AGE:
            raise Invalid(
                "Le jeune a moins de 16 ans à la date de repérage : il ne peut être suivi."
            )
        case_id = new_case_id(user.id, idempotency_key)
        identified_at = _identified_at(identified_on)
        async with transaction(self.sessions) as session:
            platform = await ReferenceRepository(session).platform(body.platform_id)
            if platform is None:
                raise NotFound("Plateforme introuvable.")
            policy = TimerPolicy.from_dict(platform.policy or {})
            created = await CaseRepository(session).get(case_id) is None
            if created:
                await CaseRepository(session).add(_new_case(case_id, user, body, identified_at))
        start = StartCaseInput(
            case_id=case_id,
            platform_id=body.platform_id,
            source=body.source,
            identified_at=identified_at,
            birth_date=body.person.birth_date,
            leaving_date=body.person.leaving_date,
            actor=user.actor,
            policy=policy,
            convocation_allowed=body.person.convocation_consent and bool(body.person.email),
        )
        await self._start(start)
        async with transaction(self.sessions) as session:
            case = await CaseRepository(session).get(case_id)
        assert case is not None
        return case, created

    async def _start(self, start: StartCaseInput) -> None:
        try:
            handle = await self.temporal.start_workflow(
                CaseWorkflow.run,
                CaseWorkflowInput(start=start, search_attributes=self.search_attributes),
                id=workflow_id(start.case_id),
                task_queue=self.task_queue,
                id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            )
            await handle.execute_update(CaseWorkflow.ready, id=f"ready-{start.case_id}")
        except RPCError as exc:
            raise _rpc_error(exc) from exc

    async def get(self, user: CurrentUserInfo, case_id: str) -> Case:
        async with transaction(self.sessions) as session:
            return readable(user, await CaseRepository(session).get(case_id))

    async def referent_structure(self, user: CurrentUserInfo, referent_id: str) -> str | None:
        """The structure of an active référent of the caller's platform; 422 otherwise."""
        async with transaction(self.sessions) as session:
            referent = await ReferenceRepository(session).user(referent_id)
        if (
            referent is None
            or not referent.active
            or referent.role != Role.REFERENT.value
            or referent.platform_id != user.platform_id
        ):
            raise Invalid("Ce référent n'existe pas ou n'est pas actif sur votre plateforme.")
        return referent.structure_id

    async def run_step(
        self,
        user: CurrentUserInfo,
        case_id: str,
        update: Any,
        step: Step,
        idempotency_key: str | None,
    ) -> StepOut:
        """Send a human step to the case workflow; 409 with the reason when it is not allowed."""
        async with transaction(self.sessions) as session:
            actionable(user, await CaseRepository(session).get(case_id), type(step))
        handle = self.temporal.get_workflow_handle(workflow_id(case_id))
        try:
            result: StepResult = await handle.execute_update(
                update, step, id=step_update_id(user.id, step, idempotency_key)
            )
        except WorkflowUpdateFailedError as exc:
            cause = exc.cause
            if isinstance(cause, ApplicationError) and cause.type == "StepRejected":
                raise Conflict(cause.message) from exc
            raise
        except RPCError as exc:
            raise _rpc_error(exc) from exc
        return StepOut(
            case_id=result.case_id,
            stage=result.stage,
            version=result.version,
            next_deadline_kind=result.next_deadline_kind,
            next_deadline_at=result.next_deadline_at,
        )


def _identified_at(day: date) -> datetime:
    today = utcnow()
    return today if day == today.date() else datetime.combine(day, time(8, 0), tzinfo=UTC)


def _new_case(case_id: str, user: CurrentUserInfo, body: CreateCaseIn, at: datetime) -> Case:
    person = body.person
    case = Case(
        id=case_id,
        platform_id=body.platform_id,
        source=body.source.value,
        identified_at=at,
        created_by=user.id,
        stage="a_router",
        state_version=-1,
        audit_seq=0,
        audit_head="",
        failed_attempts=0,
        updated_at=utcnow(),
    )
    key = normalized_name_key(person.last_name, person.first_name, person.birth_date)
    case.identity = CaseIdentity(case_id=case_id, name_key=key, **person.model_dump())
    return case


def _rpc_error(exc: RPCError) -> Exception:
    if exc.status == RPCStatusCode.NOT_FOUND:
        return Conflict("Ce dossier n'a plus de parcours actif (archivé).")
    return Unavailable("Le moteur de parcours est momentanément indisponible ; réessayez.")
