"""The log of reads of young people's personal data, and its queries."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from filrouge.core.clock import utcnow
from filrouge.store.models import Case, CaseAccess


class AccessLogRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def record(self, case: Case, user_id: str, role: str, view: str) -> None:
        """Log one read of a case's personal data (committed with the request)."""
        self.session.add(
            CaseAccess(
                case_id=case.id,
                platform_id=case.platform_id,
                user_id=user_id,
                role=role,
                view=view,
                at=utcnow(),
            )
        )

    async def record_many(self, cases: Sequence[Case], user_id: str, role: str, view: str) -> None:
        """Log the reads of a list of cases in one statement (a page of 50 names)."""
        if not cases:
            return
        at = utcnow()
        rows = [
            {"case_id": c.id, "platform_id": c.platform_id, "user_id": user_id}
            | {"role": role, "view": view, "at": at}
            for c in cases
        ]
        await self.session.execute(insert(CaseAccess), rows)

    async def page(
        self, platform_id: str, case_id: str | None, limit: int, offset: int
    ) -> tuple[list[CaseAccess], int]:
        """Newest reads first, for one platform (optionally one case)."""
        query = select(CaseAccess).where(CaseAccess.platform_id == platform_id)
        if case_id:
            query = query.where(CaseAccess.case_id == case_id)
        total = await self.session.scalar(select(func.count()).select_from(query.subquery()))
        rows = await self.session.execute(
            query.order_by(CaseAccess.id.desc()).limit(limit).offset(offset)
        )
        return list(rows.scalars()), int(total or 0)
