"""The erasure in the store: personal texts sealed, the key gone, the chain still whole."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from filrouge.core.audit import ERASED
from filrouge.core.cases.pathway import AuditEvent as NewEvent
from filrouge.store.audit_repository import AuditRepository
from filrouge.store.engine import transaction
from filrouge.store.erasure import ErasureRepository
from filrouge.store.models import Case, CaseIdentity, Platform

AT = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


async def a_case(sessions: async_sessionmaker[AsyncSession]) -> str:
    """A case with an identity and a keyed chain whose events hold personal texts."""
    platform_id, case_id = f"p-{uuid.uuid4().hex[:8]}", f"c{uuid.uuid4().hex[:20]}"
    case = Case(id=case_id, platform_id=platform_id, source="siei", identified_at=AT, updated_at=AT)
    case.identity = CaseIdentity(case_id=case_id, last_name="Vernhes", first_name="Aude")
    solutions = [{"type": "e2c", "structure": "e2c albi", "start_date": "2026-02-01"}]
    events = [
        NewEvent("k1", "case_closed", {"outcome": "autre", "reason": "incarceration"}, at=AT),
        NewEvent("k2", "solutions_proposed", {"solutions": solutions}, at=AT),
    ]
    async with transaction(sessions) as session:
        session.add(Platform(id=platform_id, name="P", territory={}, policy={}, created_at=AT))
        await session.flush()
        session.add(case)
        await session.flush()
        session.add_all(AuditRepository(session).start_chain(case, events))
    return case_id


async def test_an_event_added_after_the_erasure_is_stored_sealed(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    case_id = await a_case(sessions)
    async with transaction(sessions) as session:
        done = await ErasureRepository(session).erase(case_id, "request", None)
    late = NewEvent("k3", "email_failed", {"kind": "x", "reason": "550 aude.vernhes@ex.fr"})
    async with transaction(sessions) as session:
        audit = AuditRepository(session)
        case = await audit.lock_case(case_id)
        assert case is not None
        assert await audit.append(case, [late]) == 1
    async with transaction(sessions) as session:
        audit = AuditRepository(session)
        case = await session.get(Case, case_id)
        assert case is not None
        verified = await audit.verify(case)
        texts = str([(row.key, row.data) for row in await audit.history(case_id)])
        key = await audit.case_key(case_id)

    assert done.audit_texts == 2 and done.key  # the closing motive, the proposal
    assert verified.ok, verified
    assert key is None
    for gone in ("incarceration", "albi", "vernhes"):
        assert gone not in texts
    assert texts.count(ERASED) == 3 and "'e2c'" in texts
