"""Indicators: the regional pilot sees every platform's counts, a coordinator their own."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import CurrentUser, SessionDep
from api.schemas import IndicatorsOut, PlatformIndicatorsOut
from filrouge.services.indicators import indicators_for

router = APIRouter(tags=["indicateurs"])


@router.get("/indicators", response_model=IndicatorsOut)
async def indicators(
    user: CurrentUser, session: SessionDep, platform_id: str | None = None
) -> IndicatorsOut:
    """Counts, rates and median delays per platform, from the read model and the audit log."""
    report = await indicators_for(session, user, platform_id)
    return IndicatorsOut(
        generated_at=report.generated_at,
        platforms=[PlatformIndicatorsOut.model_validate(p) for p in report.platforms],
        total=PlatformIndicatorsOut.model_validate(report.total),
    )
