"""HTTP endpoints for cases: create, read, list, history; the human steps' routes are mounted
from `api/steps.py`."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse

from api.deps import CurrentUser, IdempotencyKey, SessionDep
from api.schemas import (
    AcknowledgementOut,
    CaseCreatedOut,
    CaseOut,
    CasePage,
    CreateCaseIn,
    DeadlineOut,
    EventOut,
    PersonOut,
    VerificationOut,
)
from api.steps import step_router
from filrouge.core.clock import utcnow
from filrouge.core.domain import CreationStatus, Stage
from filrouge.services.cases.creation import Identification
from filrouge.services.cases.reading import CaseQuery, CaseReader
from filrouge.services.cases.service import CaseService

if TYPE_CHECKING:  # a row type only: the API reads rows through services
    from filrouge.store.models import Case

router = APIRouter(prefix="/cases", tags=["dossiers"])


def case_out(case: Case, *, with_person: bool, now: datetime | None = None) -> CaseOut:
    """The answer body of a case (the identity only when asked for and not erased)."""
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


def get_case_service(request: Request) -> CaseService:
    return request.app.state.case_service  # type: ignore[no-any-return]


Service = Annotated[CaseService, Depends(get_case_service)]

CREATION_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"model": CaseCreatedOut, "description": "Déjà suivi, ou requête rejouée."},
    202: {
        "model": AcknowledgementOut,
        "description": "Doublon possible à vérifier, ou jeune relevant d'une autre plateforme.",
    },
}


@router.post("", response_model=CaseCreatedOut, status_code=201, responses=CREATION_RESPONSES)
async def create_case(
    body: CreateCaseIn,
    user: CurrentUser,
    service: Service,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """Create a case, routed and deduplicated like any identification (see the README)."""
    person = body.person.model_dump(exclude={"convocation_consent"})
    given = Identification(
        person=person,
        source=body.source,
        identified_on=body.identified_on,
        convocation_consent=body.person.convocation_consent,
        platform_id=body.platform_id,
    )
    created = await service.create(user, given, idempotency_key)
    outcome = {"status": created.status, "message": created.message}
    if created.case is None:
        ack = AcknowledgementOut.model_validate(outcome)
        return JSONResponse(ack.model_dump(), status_code=202)
    if created.status != CreationStatus.CREATED:
        response.status_code = 200
    out = case_out(created.case, with_person=created.with_person)
    return CaseCreatedOut.model_validate(out.model_dump() | outcome)


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
    now = utcnow()
    query = CaseQuery(stage, platform_id, referent_id, now if overdue else None, limit, offset)
    rows, total = await CaseReader(session).page(user, query)
    items = [case_out(c, with_person=False, now=now) for c in rows]
    return CasePage(items=items, total=total, limit=limit, offset=offset)


@router.get("/{case_id}", response_model=CaseOut)
async def get_case(case_id: str, user: CurrentUser, session: SessionDep) -> CaseOut:
    """Current state of a case, with the young person's identity (the read is logged)."""
    return case_out(await CaseReader(session).case(user, case_id), with_person=True)


@router.get("/{case_id}/history", response_model=list[EventOut])
async def case_history(case_id: str, user: CurrentUser, session: SessionDep) -> list[Any]:
    """The case's complete audit log, in order (the read is logged)."""
    return await CaseReader(session).history(user, case_id)  # type: ignore[return-value]


@router.get("/{case_id}/history/verify", response_model=VerificationOut)
async def verify_history(case_id: str, user: CurrentUser, session: SessionDep) -> Any:
    """Check the hash chain: detects any edited, inserted or deleted audit row."""
    return await CaseReader(session).verify(user, case_id)


# ---------------------------------------------------------------- human steps

# One route per declared step (`filrouge.core.cases.steps`), built by `api/steps.py`.
router.include_router(step_router(Service))
