"""HTTP endpoints for cases: create, read, list, history, and one endpoint per human step."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response

from api.access import readable
from api.case_service import CaseService, case_out
from api.deps import CurrentUser, IdempotencyKey, SessionDep
from api.schemas import (
    AssignIn,
    CaseOut,
    CasePage,
    CloseIn,
    ContactAttemptIn,
    ContactOutcomeIn,
    CreateCaseIn,
    DecisionIn,
    EntryIn,
    EventOut,
    FollowUpIn,
    InterviewResultIn,
    ProposalIn,
    ReopenIn,
    ScheduleInterviewIn,
    StepOut,
    SummonsIn,
    VerificationOut,
)
from filrouge.core.cases.steps import (
    AssignReferentInput,
    CloseCaseInput,
    ConfirmEntryInput,
    DecideInput,
    ProposeSolutionsInput,
    RecordContactAttemptInput,
    RecordContactOutcomeInput,
    RecordFollowUpInput,
    RecordInterviewInput,
    RecordSummonsInput,
    ReopenCaseInput,
    ScheduleInterviewInput,
)
from filrouge.core.clock import utcnow
from filrouge.core.domain import Role, Solution, Stage
from filrouge.store.access_log import AccessLogRepository
from filrouge.store.audit_repository import AuditRepository
from filrouge.store.repositories import CaseFilters, CaseRepository
from workflows.case import CaseWorkflow

router = APIRouter(prefix="/cases", tags=["dossiers"])


def get_case_service(request: Request) -> CaseService:
    return request.app.state.case_service  # type: ignore[no-any-return]


Service = Annotated[CaseService, Depends(get_case_service)]


@router.post("", response_model=CaseOut, status_code=201)
async def create_case(
    body: CreateCaseIn,
    user: CurrentUser,
    service: Service,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> CaseOut:
    """Create a case from a referral; it is assigned to a référent of the platform."""
    case, created = await service.create(user, body, idempotency_key)
    if not created:
        response.status_code = 200
    # A partner gets an acknowledgement, not the file: they follow nobody.
    return case_out(case, with_person=user.role != Role.PARTENAIRE)


@router.get("", response_model=CasePage)
async def list_cases(
    user: CurrentUser,
    session: SessionDep,
    stage: Stage | None = None,
    platform_id: str | None = None,
    referent_id: str | None = None,
    overdue: bool = False,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> CasePage:
    """List the cases the caller may see, filtered by stage, référent or overdue deadline."""
    if platform_id and platform_id != user.platform_id:
        return CasePage(items=[], total=0, limit=limit, offset=offset)
    now = utcnow()
    filters = CaseFilters(
        platform_id=user.platform_id,
        structure_id=user.structure_id if user.role == Role.REFERENT else None,
        visible_to_referent=user.id if user.role == Role.REFERENT else None,
        stage=stage,
        referent_id=referent_id,
        overdue_at=now if overdue else None,
        limit=limit,
        offset=offset,
    )
    rows, total = await CaseRepository(session).search(filters)
    items = [case_out(c, with_person=False, now=now) for c in rows]
    return CasePage(items=items, total=total, limit=limit, offset=offset)


@router.get("/{case_id}", response_model=CaseOut)
async def get_case(case_id: str, user: CurrentUser, session: SessionDep) -> CaseOut:
    """Current state of a case, with the young person's identity (the read is logged)."""
    case = readable(user, await CaseRepository(session).get(case_id))
    AccessLogRepository(session).record(case, user.id, user.role.value, "case")
    return case_out(case, with_person=True)


@router.get("/{case_id}/history", response_model=list[EventOut])
async def case_history(case_id: str, user: CurrentUser, session: SessionDep) -> list[Any]:
    """The case's complete audit log, in order (the read is logged)."""
    case = readable(user, await CaseRepository(session).get(case_id))
    AccessLogRepository(session).record(case, user.id, user.role.value, "history")
    return await AuditRepository(session).history(case_id)  # type: ignore[return-value]


@router.get("/{case_id}/history/verify", response_model=VerificationOut)
async def verify_history(case_id: str, user: CurrentUser, session: SessionDep) -> Any:
    """Check the hash chain: detects any edited, inserted or deleted audit row."""
    case = readable(user, await CaseRepository(session).get(case_id))
    return await AuditRepository(session).verify(case)


# ---------------------------------------------------------------- human steps


@router.post("/{case_id}/assign", response_model=StepOut)
async def assign(
    case_id: str, body: AssignIn, user: CurrentUser, service: Service, key: IdempotencyKey = None
) -> StepOut:
    """Coordinator: assign (or reassign) the case to an active référent of the platform."""
    await service.get(user, case_id)
    structure_id = await service.referent_structure(user, body.referent_id)
    step = AssignReferentInput(user.actor, body.referent_id, structure_id)
    return await service.run_step(user, case_id, CaseWorkflow.assign_referent, step, key)


@router.post("/{case_id}/contact-attempts", response_model=StepOut)
async def record_contact_attempt(
    case_id: str,
    body: ContactAttemptIn,
    user: CurrentUser,
    service: Service,
    key: IdempotencyKey = None,
) -> StepOut:
    """Record one contact attempt (channel, result)."""
    step = RecordContactAttemptInput(user.actor, body.channel, body.result)
    return await service.run_step(user, case_id, CaseWorkflow.record_contact_attempt, step, key)


@router.post("/{case_id}/contact-outcome", response_model=StepOut)
async def record_contact_outcome(
    case_id: str,
    body: ContactOutcomeIn,
    user: CurrentUser,
    service: Service,
    key: IdempotencyKey = None,
) -> StepOut:
    """Record what the young person answered once reached."""
    step = RecordContactOutcomeInput(
        user.actor, body.outcome, body.solution_type, body.new_commune, body.reason
    )
    return await service.run_step(user, case_id, CaseWorkflow.record_contact_outcome, step, key)


@router.post("/{case_id}/interview", response_model=StepOut)
async def schedule_interview(
    case_id: str,
    body: ScheduleInterviewIn,
    user: CurrentUser,
    service: Service,
    key: IdempotencyKey = None,
) -> StepOut:
    """Schedule (or reschedule) the bilan-positionnement interview."""
    step = ScheduleInterviewInput(user.actor, body.at, body.place)
    return await service.run_step(user, case_id, CaseWorkflow.schedule_interview, step, key)


@router.post("/{case_id}/interview/result", response_model=StepOut)
async def record_interview(
    case_id: str,
    body: InterviewResultIn,
    user: CurrentUser,
    service: Service,
    key: IdempotencyKey = None,
) -> StepOut:
    """Record that the interview was held, or a no-show (back to contacting)."""
    step = RecordInterviewInput(user.actor, body.held)
    return await service.run_step(user, case_id, CaseWorkflow.record_interview, step, key)


@router.post("/{case_id}/proposals", response_model=StepOut)
async def propose_solutions(
    case_id: str, body: ProposalIn, user: CurrentUser, service: Service, key: IdempotencyKey = None
) -> StepOut:
    """Propose one or more solutions; the coordinator decides next."""
    solutions = [Solution(s.type, s.structure, s.start_date) for s in body.solutions]
    step = ProposeSolutionsInput(user.actor, solutions)
    return await service.run_step(user, case_id, CaseWorkflow.propose_solutions, step, key)


@router.post("/{case_id}/decision", response_model=StepOut)
async def decide(
    case_id: str, body: DecisionIn, user: CurrentUser, service: Service, key: IdempotencyKey = None
) -> StepOut:
    """Coordinator: approve, ask for changes, or put the proposal on the platform meeting."""
    step = DecideInput(user.actor, body.decision, body.comment)
    return await service.run_step(user, case_id, CaseWorkflow.decide, step, key)


@router.post("/{case_id}/entry", response_model=StepOut)
async def confirm_entry(
    case_id: str, body: EntryIn, user: CurrentUser, service: Service, key: IdempotencyKey = None
) -> StepOut:
    """Confirm that the young person started the solution (or did not)."""
    step = ConfirmEntryInput(user.actor, body.entered, body.on)
    return await service.run_step(user, case_id, CaseWorkflow.confirm_entry, step, key)


@router.post("/{case_id}/follow-ups", response_model=StepOut)
async def record_follow_up(
    case_id: str, body: FollowUpIn, user: CurrentUser, service: Service, key: IdempotencyKey = None
) -> StepOut:
    """Answer a follow-up check: still in the solution, or a drop-out (back to contacting)."""
    step = RecordFollowUpInput(user.actor, body.status)
    return await service.run_step(user, case_id, CaseWorkflow.record_follow_up, step, key)


@router.post("/{case_id}/close", response_model=StepOut)
async def close_case(
    case_id: str, body: CloseIn, user: CurrentUser, service: Service, key: IdempotencyKey = None
) -> StepOut:
    """Close the case with an outcome."""
    step = CloseCaseInput(user.actor, body.outcome, body.reason)
    return await service.run_step(user, case_id, CaseWorkflow.close_case, step, key)


@router.post("/{case_id}/reopen", response_model=StepOut)
async def reopen_case(
    case_id: str, body: ReopenIn, user: CurrentUser, service: Service, key: IdempotencyKey = None
) -> StepOut:
    """Reopen a closed or unreachable case at contacting; the history is kept."""
    step = ReopenCaseInput(user.actor, body.reason)
    return await service.run_step(user, case_id, CaseWorkflow.reopen_case, step, key)


@router.post("/{case_id}/summons", response_model=StepOut)
async def record_summons(
    case_id: str, body: SummonsIn, user: CurrentUser, service: Service, key: IdempotencyKey = None
) -> StepOut:
    """Record the obligation de formation summons of a minor (starts the 2-month legal clock)."""
    step = RecordSummonsInput(user.actor, body.on)
    return await service.run_step(user, case_id, CaseWorkflow.record_summons, step, key)
