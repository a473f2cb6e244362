"""A coordinator's view of their platform: what waits for them, and who is behind.

Counts only (no personal data, so nothing to log); the queries aggregate in the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from filrouge.core.caller import Caller
from filrouge.core.clock import utcnow
from filrouge.core.domain import Role
from filrouge.core.errors import NotFound
from filrouge.store.repositories import CaseRepository, ReferenceRepository, ReferentCounts


@dataclass(frozen=True)
class ReferentLoad:
    """A référent of the platform, their open cases and those late."""

    id: str
    name: str
    active: bool = True
    open: int = 0
    late: int = 0


@dataclass(frozen=True)
class Dashboard:
    """What waits for the coordinator, and the late cases per référent (most late first)."""

    to_route: int
    escalated: int
    decisions: int
    unreachable: int
    late: int
    referents: list[ReferentLoad]


def _platform(caller: Caller) -> str:
    if caller.role != Role.COORDINATEUR or not caller.platform_id:
        raise NotFound("Plateforme introuvable.")
    return caller.platform_id


class PlatformDashboard:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def referents(self, caller: Caller, active_only: bool = True) -> list[ReferentLoad]:
        """The platform's référents by name (by default the active ones, those a case can be
        assigned to), with their open and late cases now."""
        loads = (await self._loads(caller, utcnow()))[1]
        return [r for r in loads if r.active or not active_only]

    async def overview(self, caller: Caller, now: datetime) -> Dashboard:
        """The platform's counters at `now` (two aggregated queries, whatever its size)."""
        counts, loads = await self._loads(caller, now)
        late_first = sorted(loads, key=lambda r: (-r.late, r.name))
        return Dashboard(
            to_route=sum(c.to_route for c in counts),
            escalated=sum(c.escalated for c in counts),
            decisions=sum(c.decisions for c in counts),
            unreachable=sum(c.unreachable for c in counts),
            late=sum(c.late for c in counts),
            referents=[r for r in late_first if r.late],
        )

    async def _loads(
        self, caller: Caller, now: datetime
    ) -> tuple[list[ReferentCounts], list[ReferentLoad]]:
        platform_id = _platform(caller)
        counts = await CaseRepository(self.session).counts_by_referent(platform_id, now)
        users = await ReferenceRepository(self.session).users(platform_id, Role.REFERENT)
        by_id = {c.referent_id: c for c in counts}
        loads = []
        for user in sorted(users, key=lambda u: u.display_name.casefold()):
            mine = by_id.get(user.id)
            if user.active or mine:
                open_, late = (mine.open, mine.late) if mine else (0, 0)
                name = user.display_name
                loads.append(ReferentLoad(user.id, name, user.active, open_, late))
        return counts, loads
