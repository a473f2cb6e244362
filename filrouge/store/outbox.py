"""The e-mail outbox: one row per business key, so a message is sent at most once."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from filrouge.store.models import OutboxMessage


class OutboxRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, business_key: str) -> OutboxMessage | None:
        query = select(OutboxMessage).where(OutboxMessage.business_key == business_key)
        return (await self.session.execute(query)).scalar_one_or_none()

    async def add(self, row: OutboxMessage) -> OutboxMessage:
        self.session.add(row)
        await self.session.flush()
        return row
