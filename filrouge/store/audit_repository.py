"""Queries on the audit log and the case read model written by the workflow's activities."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from filrouge.core.audit import (
    ERASED_KIND,
    GENESIS,
    ChainVerification,
    event_hash,
    new_case_key,
    sealed,
    sealed_key,
)
from filrouge.core.cases.contracts import CaseSnapshot
from filrouge.core.cases.pathway import AuditEvent as NewEvent
from filrouge.core.clock import utcnow
from filrouge.store.models import AuditEvent, Case, CaseKey


class AuditRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def lock_case(self, case_id: str) -> Case | None:
        """Load the case row, locked for this transaction (serialises chain appends)."""
        query = select(Case).where(Case.id == case_id).with_for_update(of=Case)
        return (await self.session.execute(query)).unique().scalar_one_or_none()

    async def case_key(self, case_id: str) -> bytes | None:
        """The case's secret key for its seals; None once the case is erased."""
        query = select(CaseKey.key).where(CaseKey.case_id == case_id)
        return (await self.session.execute(query)).scalar_one_or_none()

    async def append(self, case: Case, events: Sequence[NewEvent]) -> int:
        """Append the events whose key is new for this case; return how many were added.

        On an erased case (its key destroyed) personal texts are stored already sealed.
        """
        if not events:
            return 0
        keys = [e.key for e in events]
        existing = set(
            (
                await self.session.execute(
                    select(AuditEvent.key).where(
                        AuditEvent.case_id == case.id, AuditEvent.key.in_(keys)
                    )
                )
            ).scalars()
        )
        case_key = await self._key_for_append(case.id)
        added = 0
        for event in events:
            if event.key in existing:
                continue
            existing.add(event.key)
            self.session.add(self._row(case, event, case_key))
            added += 1
        return added

    async def _key_for_append(self, case_id: str) -> bytes | None:
        """The case's key; None once it is erased. A case written without one (by a test or
        a tool that inserts rows) gets it now."""
        case_key = await self.case_key(case_id)
        if case_key is not None:
            return case_key
        erased = select(AuditEvent.id).where(
            AuditEvent.case_id == case_id, AuditEvent.kind == ERASED_KIND
        )
        if (await self.session.execute(erased.limit(1))).first() is not None:
            return None
        case_key = new_case_key()
        self.session.add(CaseKey(case_id=case_id, key=case_key, created_at=utcnow()))
        return case_key

    def start_chain(self, case: Case, events: Sequence[NewEvent]) -> list[CaseKey | AuditEvent]:
        """The rows of a case created in this transaction: its key and its first chained
        events (no query: its log is empty).

        The caller adds them once the case row is flushed (the rows reference it).
        """
        assert case.audit_seq == 0, "start_chain is only for a new case"
        key = CaseKey(case_id=case.id, key=new_case_key(), created_at=utcnow())
        return [key, *(self._row(case, event, key.key) for event in events)]

    def _row(self, case: Case, event: NewEvent, case_key: bytes | None) -> AuditEvent:
        data, key = event.data, event.key
        if case_key is None:  # erased: nothing personal is kept in clear any more
            case_key = new_case_key()
            data = sealed(data, event.kind, case.id, event.key, case_key)
            key = sealed_key(event.key, case.id, case_key)
        row = AuditEvent(
            case_id=case.id,
            seq=case.audit_seq + 1,
            key=key,
            kind=event.kind,
            occurred_at=event.at or utcnow(),
            actor_id=event.actor_id,
            actor_role=event.actor_role,
            data=data,
            prev_hash=case.audit_head or GENESIS,
        )
        row.hash = _recompute(row, row.prev_hash, case_key)
        case.audit_seq, case.audit_head = row.seq, row.hash
        return row

    async def history(self, case_id: str) -> list[AuditEvent]:
        query = select(AuditEvent).where(AuditEvent.case_id == case_id).order_by(AuditEvent.seq)
        return list((await self.session.execute(query)).scalars())

    async def of_kinds(self, case_ids: Sequence[str], kinds: Sequence[str]) -> list[AuditEvent]:
        """The events of these kinds of these cases, each case's in order (one query)."""
        if not case_ids:
            return []
        query = (
            select(AuditEvent)
            .where(AuditEvent.case_id.in_(list(case_ids)), AuditEvent.kind.in_(list(kinds)))
            .order_by(AuditEvent.case_id, AuditEvent.seq)
        )
        return list((await self.session.execute(query)).scalars())

    async def verify(self, case: Case) -> ChainVerification:
        """Recompute the chain; any edited, inserted or deleted row breaks it."""
        rows = await self.history(case.id)
        case_key = await self.case_key(case.id)
        prev, expected_seq = GENESIS, 1
        for row in rows:
            problem = None
            if row.seq != expected_seq:
                problem = f"séquence {expected_seq} manquante"
            elif row.prev_hash != prev:
                problem = "chaînage rompu"
            elif row.hash != _recompute(row, prev, case_key):
                problem = "contenu modifié"
            if problem:
                return ChainVerification(case.id, False, len(rows), row.seq, problem)
            prev, expected_seq = row.hash, expected_seq + 1
        if case.audit_seq != len(rows) or (case.audit_head or GENESIS) != prev:
            return ChainVerification(
                case.id, False, len(rows), len(rows) + 1, "événements supprimés en fin de journal"
            )
        return ChainVerification(case.id, True, len(rows))


def _recompute(row: AuditEvent, prev: str, case_key: bytes | None) -> str:
    return event_hash(
        prev,
        case_id=row.case_id,
        seq=row.seq,
        key=row.key,
        kind=row.kind,
        occurred_at=row.occurred_at,
        actor_id=row.actor_id,
        actor_role=row.actor_role,
        data=row.data,
        case_key=case_key,
    )


def apply_snapshot(case: Case, snapshot: CaseSnapshot) -> bool:
    """Copy a newer workflow snapshot into the read model; older or equal ones are ignored."""
    if snapshot.version < case.state_version:
        return False
    case.stage = snapshot.stage.value
    case.referent_id = snapshot.referent_id
    case.structure_id = snapshot.structure_id
    case.stage_entered_at = snapshot.stage_entered_at
    case.next_deadline_kind = snapshot.next_deadline_kind
    case.next_deadline_at = snapshot.next_deadline_at
    case.overdue_since = snapshot.overdue_since
    case.escalated_since = snapshot.escalated_since
    case.interview_at = snapshot.interview_at
    case.failed_attempts = snapshot.failed_attempts
    case.outcome = snapshot.outcome.value if snapshot.outcome else None
    case.closed_at = snapshot.closed_at
    case.state_version = snapshot.version
    case.updated_at = utcnow()
    return True
