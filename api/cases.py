"""HTTP endpoints for cases: create, read, list, history; the human steps' routes are mounted
from `api/steps.py`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response

from api.access import readable
from api.case_service import CaseService, case_out
from api.deps import CurrentUser, IdempotencyKey, SessionDep
from api.schemas import (
    CaseOut,
    CasePage,
    CreateCaseIn,
    EventOut,
    VerificationOut,
)
from api.steps import step_router
from filrouge.core.clock import utcnow
from filrouge.core.domain import Role, Stage
from filrouge.store.access_log import AccessLogRepository
from filrouge.store.audit_repository import AuditRepository
from filrouge.store.repositories import CaseFilters, CaseRepository

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

# One route per declared step (`filrouge.core.cases.steps`), built by `api/steps.py`.
router.include_router(step_router(Service))
