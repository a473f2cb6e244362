"""The e-mail outbox: one row per business key, so a message is sent at most once."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from filrouge.core.domain import OutboxStatus
from filrouge.store.models import Case, OutboxMessage

# Rows that may still be sent (an undelivered one goes at the workflow's next try).
SENDABLE = (OutboxStatus.PENDING, OutboxStatus.UNDELIVERED)
# Rows the coordinators see as not delivered: the SMTP outage kind, and refused for good.
NOT_DELIVERED = (OutboxStatus.UNDELIVERED, OutboxStatus.FAILED)


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

    async def of_platform(self, platform_id: str, mail_id: int) -> OutboxMessage | None:
        """One mail, if it is about a case of the platform."""
        query = (
            select(OutboxMessage)
            .join(Case, Case.id == OutboxMessage.case_id)
            .where(OutboxMessage.id == mail_id, Case.platform_id == platform_id)
        )
        return (await self.session.execute(query)).scalar_one_or_none()

    async def not_delivered(self, platform_id: str, limit: int = 500) -> list[OutboxMessage]:
        """The platform's mails not delivered (outage or refusal), oldest first."""
        query = (
            select(OutboxMessage)
            .join(Case, Case.id == OutboxMessage.case_id)
            .where(Case.platform_id == platform_id, OutboxMessage.status.in_(NOT_DELIVERED))
            .order_by(OutboxMessage.created_at, OutboxMessage.id)
            .limit(limit)
        )
        return list((await self.session.execute(query)).scalars())
