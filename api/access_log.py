"""Coordinators read who consulted their platform's cases."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import CurrentUser, SessionDep
from api.schemas import AccessOut, AccessPage
from filrouge.services.access.log import AccessLogReader

router = APIRouter(tags=["journal des accès"])
Limit = Annotated[int, Query(ge=1, le=500)]
Offset = Annotated[int, Query(ge=0)]


@router.get("/access-log", response_model=AccessPage)
async def platform_access_log(
    user: CurrentUser, session: SessionDep, limit: Limit = 100, offset: Offset = 0
) -> AccessPage:
    """Every read of personal data on the coordinator's platform, newest first."""
    rows, total = await AccessLogReader(session).platform(user, limit, offset)
    items = [AccessOut.model_validate(r) for r in rows]
    return AccessPage(items=items, total=total, limit=limit, offset=offset)


@router.get("/cases/{case_id}/access-log", response_model=AccessPage)
async def case_access_log(
    case_id: str, user: CurrentUser, session: SessionDep, limit: Limit = 100, offset: Offset = 0
) -> AccessPage:
    """Who read this case's personal data, when and through which view."""
    rows, total = await AccessLogReader(session).case(user, case_id, limit, offset)
    items = [AccessOut.model_validate(r) for r in rows]
    return AccessPage(items=items, total=total, limit=limit, offset=offset)
