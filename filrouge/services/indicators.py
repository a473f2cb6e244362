"""Indicators: the regional pilot sees the counts of their Région's platforms, a coordinator
their own."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from filrouge.core.caller import Caller
from filrouge.core.clock import utcnow
from filrouge.core.domain import Role
from filrouge.core.errors import NotFound
from filrouge.core.indicators import compute
from filrouge.store.indicators import IndicatorRepository
from filrouge.store.models import Platform
from filrouge.store.repositories import ReferenceRepository


@dataclass(frozen=True)
class IndicatorReport:
    generated_at: datetime
    platforms: list[dict[str, Any]]
    total: dict[str, Any]
    # The name of each platform reported, by id (what people read; the API keeps ids).
    names: dict[str, str] = field(default_factory=dict)
    # Every platform the caller may see (a filter on one of them still lists them all).
    visible: dict[str, str] = field(default_factory=dict)
    region: str | None = None


async def indicators_for(
    session: AsyncSession, caller: Caller, platform_id: str | None
) -> IndicatorReport:
    """Counts, rates and median delays per platform the caller may see, and their total."""
    region, platforms = await _visible_platforms(session, caller)
    visible = {p.id: p.name for p in platforms}
    known = list(visible)
    if platform_id is not None:
        if platform_id not in visible:
            raise NotFound("Plateforme introuvable.")
        known = [platform_id]
    facts = await IndicatorRepository(session).facts(known)
    per_platform = [compute(pid, [f for f in facts if f.platform_id == pid]) for pid in known]
    names = {pid: visible[pid] for pid in known}
    return IndicatorReport(utcnow(), per_platform, compute("*", facts), names, visible, region)


async def _visible_platforms(
    session: AsyncSession, caller: Caller
) -> tuple[str | None, list[Platform]]:
    """A regional pilot sees the platforms of their own Région only (none without one);
    anybody else their own platform."""
    refs = ReferenceRepository(session)
    if caller.role != Role.PILOTE:
        own = await refs.platform(caller.platform_id) if caller.platform_id else None
        return None, [own] if own else []
    pilot = await refs.user(caller.id)
    region = pilot.region if pilot else None
    if not region:
        return None, []
    return region, await refs.platforms_of_region(region)
