"""Indicators: the regional pilot sees every platform's counts, a coordinator their own."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import CurrentUser, SessionDep
from api.errors import NotFound
from api.schemas import IndicatorsOut, PlatformIndicatorsOut
from filrouge.core.clock import utcnow
from filrouge.core.domain import Role
from filrouge.core.indicators import compute
from filrouge.store.indicators import IndicatorRepository
from filrouge.store.repositories import ReferenceRepository

router = APIRouter(tags=["indicateurs"])


@router.get("/indicators", response_model=IndicatorsOut)
async def indicators(
    user: CurrentUser, session: SessionDep, platform_id: str | None = None
) -> IndicatorsOut:
    """Counts, rates and median delays per platform, from the read model and the audit log."""
    if user.role == Role.PILOTE:
        known = [p.id for p in await ReferenceRepository(session).platforms()]
    else:
        known = [user.platform_id] if user.platform_id else []
    if platform_id is not None:
        if platform_id not in known:
            raise NotFound("Plateforme introuvable.")
        known = [platform_id]
    facts = await IndicatorRepository(session).facts(known)
    per_platform = [compute(pid, [f for f in facts if f.platform_id == pid]) for pid in known]
    return IndicatorsOut(
        generated_at=utcnow(),
        platforms=[PlatformIndicatorsOut.model_validate(p) for p in per_platform],
        total=PlatformIndicatorsOut.model_validate(compute("*", facts)),
    )
