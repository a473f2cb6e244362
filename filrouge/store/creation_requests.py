"""Queries of identification requests (replays) and crossing notices (walls)."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from filrouge.core.domain import NoticeStatus
from filrouge.store.models import CreationRequest, CrossingNotice


class CreationRequestRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, request_id: str) -> CreationRequest | None:
        return await self.session.get(CreationRequest, request_id)

    def add(self, request: CreationRequest) -> None:
        self.session.add(request)

    async def forget_fingerprints(self, case_id: str) -> int:
        """At erasure: no digest of the person's request survives (the outcome stays)."""
        result = await self.session.execute(
            update(CreationRequest)
            .where(CreationRequest.case_id == case_id, CreationRequest.fingerprint != "")
            .values(fingerprint="", salt="")
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]


class CrossingNoticeRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add_once(self, notice: CrossingNotice) -> None:
        """Record the notice unless the same one (same id) is already there."""
        if await self.session.get(CrossingNotice, notice.id) is None:
            self.session.add(notice)

    async def open_for(self, platform_id: str, limit: int, offset: int) -> list[CrossingNotice]:
        query = (
            select(CrossingNotice)
            .where(
                CrossingNotice.platform_id == platform_id,
                CrossingNotice.status == NoticeStatus.OPEN,
            )
            .order_by(CrossingNotice.created_at, CrossingNotice.id)
            .limit(limit)
            .offset(offset)
        )
        return list((await self.session.execute(query)).scalars())
