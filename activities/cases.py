"""Activities that write the audit log and the read model, and choose a référent."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity
from temporalio.exceptions import ApplicationError

from filrouge.core.cases.contracts import (
    ChooseReferentInput,
    ChooseReferentResult,
    RecordCaseEventsInput,
)
from filrouge.core.routing import preferred_structure_kinds
from filrouge.services.cases.placement import ReferentPool
from filrouge.store.audit_repository import AuditRepository, apply_snapshot
from filrouge.store.engine import transaction
from filrouge.store.intake_repository import MatchRepository


class CaseActivities:
    """Built once in the worker with its session factory."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions

    @activity.defn(name="record_case_events")
    async def record_case_events(self, input: RecordCaseEventsInput) -> None:
        """Append audit events (idempotent by key) and bring the read model up to date."""
        async with transaction(self.sessions) as session:
            audit = AuditRepository(session)
            case = await audit.lock_case(input.case_id)
            if case is None:
                raise ApplicationError("case row missing", type="CaseMissing")
            await audit.append(case, input.events)
            apply_snapshot(case, input.snapshot)

    @activity.defn(name="choose_referent")
    async def choose_referent(self, input: ChooseReferentInput) -> ChooseReferentResult:
        """Least-loaded active référent of the platform, in the structure the rule prefers."""
        kinds = preferred_structure_kinds(input.age, input.left_within_a_year)
        async with transaction(self.sessions) as session:
            loads = await MatchRepository(session).referent_loads([input.platform_id])
        found = ReferentPool(loads).pick(input.platform_id, kinds)
        if found is None:
            return ChooseReferentResult(None, None)
        return ChooseReferentResult(referent_id=found[0], structure_id=found[1])
