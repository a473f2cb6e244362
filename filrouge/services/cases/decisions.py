"""The coordinator's decision queue: the cases waiting for a decision, with their proposal."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from filrouge.core.caller import Caller
from filrouge.core.cases.steps import DECIDE, PROPOSE_SOLUTIONS
from filrouge.core.domain import Decision, Role, Stage
from filrouge.core.errors import NotFound
from filrouge.services.cases.reading import CaseReader, WorklistQuery
from filrouge.store.audit_repository import AuditRepository
from filrouge.store.models import AuditEvent, Case


@dataclass(frozen=True)
class PendingDecision:
    """A case in the decision stage, the solutions last proposed, and whether it waits for
    the platform meeting (a « commission » decision since that proposal)."""

    case: Case
    solutions: list[dict[str, Any]] = field(default_factory=list)
    proposed_at: datetime | None = None
    in_meeting: bool = False


def _pending(case: Case, events: list[AuditEvent]) -> PendingDecision:
    proposals = [e for e in events if e.kind == PROPOSE_SOLUTIONS.audit]
    if not proposals:
        return PendingDecision(case)
    last = proposals[-1]
    later = [e for e in events if e.kind == DECIDE.audit and e.seq > last.seq]
    in_meeting = any(e.data.get("decision") == Decision.COMMISSION.value for e in later)
    solutions = [s for s in last.data.get("solutions") or [] if isinstance(s, dict)]
    return PendingDecision(case, solutions, last.occurred_at, in_meeting)


class DecisionQueue:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def page(
        self, caller: Caller, now: datetime, limit: int = 20, offset: int = 0
    ) -> tuple[list[PendingDecision], int]:
        """The caller's platform's cases waiting for a decision, the longest waiting first,
        with their proposal (each case shown is a logged read, as in any list of names)."""
        if caller.role != Role.COORDINATEUR or not caller.platform_id:
            raise NotFound("Plateforme introuvable.")
        query = WorklistQuery(now=now, stage=Stage.DECISION, limit=limit, offset=offset)
        cases, total = await CaseReader(self.session).worklist(caller, query)
        kinds = (PROPOSE_SOLUTIONS.audit, DECIDE.audit)
        events = await AuditRepository(self.session).of_kinds([c.id for c in cases], kinds)
        by_case: dict[str, list[AuditEvent]] = {}
        for event in events:
            by_case.setdefault(event.case_id, []).append(event)
        return [_pending(c, by_case.get(c.id, [])) for c in cases], total
