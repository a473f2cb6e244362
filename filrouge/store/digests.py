"""The regional pilots' digests: what each one counted, and whether it went out."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from filrouge.core.cases.pathway import TIMER_FIRED, DeadlineKind
from filrouge.core.domain import OutboxStatus, Stage
from filrouge.store.models import AuditEvent, Case, PilotDigest

# The audit key of a stuck escalation's firing: `timer:stuck_escalation@<due time>`.
_STUCK_FIRED = f"timer:{DeadlineKind.STUCK_ESCALATION.value}@%"
_NOT_STUCK = (Stage.CLOTURE.value, Stage.INJOIGNABLE.value)


class DigestRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, digest_id: str) -> PilotDigest | None:
        return await self.session.get(PilotDigest, digest_id)

    async def add(self, digest: PilotDigest) -> PilotDigest:
        self.session.add(digest)
        await self.session.flush()
        return digest

    async def last_period_end(self, region: str) -> datetime | None:
        """Where the Région's next digest starts: the end of its latest one."""
        query = select(func.max(PilotDigest.period_end)).where(PilotDigest.region == region)
        return await self.session.scalar(query)

    async def unsent(self) -> list[str]:
        """Digests recorded but not sent yet (an earlier run stopped, SMTP was down)."""
        query = (
            select(PilotDigest.id)
            .where(PilotDigest.status.in_((OutboxStatus.PENDING, OutboxStatus.UNDELIVERED)))
            .order_by(PilotDigest.period_end, PilotDigest.id)
        )
        return list((await self.session.scalars(query)).all())

    async def newly_stuck(self, platform_id: str, since: datetime, until: datetime) -> int:
        """The platform's stuck escalations that fired in [since, until) (counted, not named)."""
        query = (
            select(func.count())
            .select_from(AuditEvent)
            .join(Case, Case.id == AuditEvent.case_id)
            .where(
                Case.platform_id == platform_id,
                AuditEvent.kind == TIMER_FIRED,
                AuditEvent.key.like(_STUCK_FIRED),
                AuditEvent.occurred_at >= since,
                AuditEvent.occurred_at < until,
            )
        )
        return int(await self.session.scalar(query) or 0)

    async def stuck_now(self, platform_id: str, entered_before: datetime) -> int:
        """The platform's open cases in the same stage since `entered_before` or earlier."""
        query = (
            select(func.count())
            .select_from(Case)
            .where(
                Case.platform_id == platform_id,
                Case.stage.not_in(_NOT_STUCK),
                Case.stage_entered_at <= entered_before,
            )
        )
        return int(await self.session.scalar(query) or 0)
