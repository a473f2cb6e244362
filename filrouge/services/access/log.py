"""Coordinators read who consulted their platform's cases."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from filrouge.core.caller import Caller
from filrouge.core.errors import NotFound
from filrouge.services.access.cases import readable
from filrouge.store.access_log import AccessLogRepository
from filrouge.store.models import CaseAccess
from filrouge.store.repositories import CaseRepository


class AccessLogReader:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.log = AccessLogRepository(session)

    async def platform(
        self, caller: Caller, limit: int, offset: int
    ) -> tuple[list[CaseAccess], int]:
        """Every read of personal data on the caller's platform, newest first."""
        if caller.platform_id is None:
            raise NotFound("Plateforme introuvable.")
        return await self.log.page(caller.platform_id, None, limit, offset)

    async def case(
        self, caller: Caller, case_id: str, limit: int, offset: int
    ) -> tuple[list[CaseAccess], int]:
        """Who read this case's personal data, when and through which view."""
        case = readable(caller, await CaseRepository(self.session).get(case_id))
        return await self.log.page(case.platform_id, case.id, limit, offset)
