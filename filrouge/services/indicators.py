"""Indicators: the regional pilot sees the counts of their Région's platforms, a coordinator
their own."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from filrouge.core.caller import Caller
from filrouge.core.clock import utcnow
from filrouge.core.domain import Role
from filrouge.core.errors import NotFound
from filrouge.core.indicators import compute
from filrouge.store.indicators import IndicatorRepository
from filrouge.store.repositories import ReferenceRepository


@dataclass(frozen=True)
class IndicatorReport:
    generated_at: datetime
    platforms: list[dict[str, Any]]
    total: dict[str, Any]


async def indicators_for(
    session: AsyncSession, caller: Caller, platform_id: str | None
) -> IndicatorReport:
    """Counts, rates and median delays per platform the caller may see, and their total."""
    if caller.role == Role.PILOTE:
        known = await _platforms_of_region(session, caller)
    else:
        known = [caller.platform_id] if caller.platform_id else []
    if platform_id is not None:
        if platform_id not in known:
            raise NotFound("Plateforme introuvable.")
        known = [platform_id]
    facts = await IndicatorRepository(session).facts(known)
    per_platform = [compute(pid, [f for f in facts if f.platform_id == pid]) for pid in known]
    return IndicatorReport(utcnow(), per_platform, compute("*", facts))


async def _platforms_of_region(session: AsyncSession, caller: Caller) -> list[str]:
    """A regional pilot sees the platforms of their own Région only (none without one)."""
    refs = ReferenceRepository(session)
    pilot = await refs.user(caller.id)
    region = pilot.region if pilot else None
    if not region:
        return []
    return [p.id for p in await refs.platforms() if p.region == region]
