"""Reads the non-personal facts the indicators are computed from (read model + audit log)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from filrouge.core.indicators import EVENT_KINDS, CaseFacts, Fact
from filrouge.store.models import AuditEvent, Case


class IndicatorRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def facts(self, platform_ids: list[str]) -> list[CaseFacts]:
        """Every case of the platforms, with its coded events in order; no identity column."""
        query = select(
            Case.id, Case.platform_id, Case.source, Case.stage, Case.outcome, Case.identified_at
        ).where(Case.platform_id.in_(platform_ids))
        cases = {
            row.id: CaseFacts(
                row.platform_id, row.source, row.stage, row.outcome, row.identified_at
            )
            for row in await self.session.execute(query)
        }
        events = (
            select(AuditEvent.case_id, AuditEvent.kind, AuditEvent.occurred_at, AuditEvent.data)
            .join(Case, Case.id == AuditEvent.case_id)
            .where(Case.platform_id.in_(platform_ids), AuditEvent.kind.in_(EVENT_KINDS))
            .order_by(AuditEvent.case_id, AuditEvent.seq)
        )
        for row in await self.session.execute(events):
            cases[row.case_id].events.append(Fact(row.kind, row.occurred_at, row.data or {}))
        return list(cases.values())

    async def stuck_by_stage(self, platform_id: str, entered_before: datetime) -> dict[str, int]:
        """Open cases of the platform in their stage since `entered_before` or earlier, counted
        per stage (what a regional pilot is told: counts, never a case)."""
        query = (
            select(Case.stage, func.count())
            .where(
                Case.platform_id == platform_id,
                Case.stage != "cloture",
                Case.stage_entered_at <= entered_before,
            )
            .group_by(Case.stage)
        )
        return {stage: int(n) for stage, n in (await self.session.execute(query)).all()}
