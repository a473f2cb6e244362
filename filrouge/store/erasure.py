"""Erasing a young person's personal data: identity, note texts, e-mail addresses, the
personal texts of the audit events (declared in `core.cases.personal`, nested ones included),
what its deadlines' events and mails say of their kind and due time (a birthday's would give
the birth date away, `core.audit`), the case's key for their seals, and the identity kept by
the possible duplicates resolved into the case.

What stays (the read model, the coded audit events, the access log) names nobody, so the
indicators are the same after an erasure. The erasure itself is an audit event.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from filrouge.core.audit import (
    ERASED,
    ERASED_KIND,
    SEALED_KEY,
    deadline_fields,
    redacted,
    seal_digest,
    sealed,
    sealed_key,
)
from filrouge.core.cases.pathway import AuditEvent as NewEvent
from filrouge.core.clock import utcnow
from filrouge.core.domain import ReviewStatus, Stage
from filrouge.store.audit_repository import AuditRepository
from filrouge.store.creation_requests import CreationRequestRepository
from filrouge.store.models import (
    AuditEvent,
    Case,
    CaseIdentity,
    CaseKey,
    DuplicateReview,
    Import,
    ImportFile,
    ImportRow,
    ImportUploadPart,
    OutboxMessage,
)
from filrouge.store.notes import NoteRepository


@dataclass
class Erasure:
    """What one erasure removed (counts only)."""

    case_id: str
    identity: bool = False
    notes: int = 0
    emails: int = 0
    audit_texts: int = 0
    deadlines: int = 0
    key: bool = False
    reviews: int = 0
    already_erased: bool = False


class ErasureRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def closed_before(
        self, platform_ids: Sequence[str], limit: datetime
    ) -> list[tuple[str, str]]:
        """(platform id, case id) of these platforms' cases closed before `limit` and not
        erased yet, by platform then case."""
        erased = select(AuditEvent.case_id).where(AuditEvent.kind == ERASED_KIND)
        query = select(Case.platform_id, Case.id).where(
            Case.platform_id.in_(platform_ids),
            Case.stage == Stage.CLOTURE,
            Case.closed_at.is_not(None),
            Case.closed_at < limit,
            Case.id.not_in(erased),
        )
        rows = await self.session.execute(query.order_by(Case.platform_id, Case.id))
        return [(r.platform_id, r.id) for r in rows]

    async def erased_since(self, since: datetime) -> list[str]:
        """Ids of the cases erased at or after `since` (whatever their platform)."""
        query = select(AuditEvent.case_id).where(
            AuditEvent.kind == ERASED_KIND, AuditEvent.occurred_at >= since
        )
        return list((await self.session.execute(query.order_by(AuditEvent.case_id))).scalars())

    async def purge_import_files(
        self, platform_ids: Sequence[str], limit: datetime
    ) -> list[tuple[str, str]]:
        """Delete these platforms' uploaded lists (kept copies, files as sent never read, and
        the identities of rows still staged) of imports started before `limit`; the counts
        and the report's reasons stay. Returns (platform id, import id) pairs."""
        stored = select(ImportFile.import_id).union(select(ImportUploadPart.import_id))
        query = select(Import.platform_id, Import.id).where(
            Import.platform_id.in_(platform_ids),
            Import.created_at < limit,
            Import.id.in_(stored),
        )
        found = [
            (r.platform_id, r.id)
            for r in await self.session.execute(query.order_by(Import.platform_id, Import.id))
        ]
        ids = [id for _, id in found]
        if ids:
            await self.session.execute(delete(ImportFile).where(ImportFile.import_id.in_(ids)))
            await self.session.execute(
                delete(ImportUploadPart).where(ImportUploadPart.import_id.in_(ids))
            )
            await self.session.execute(
                update(ImportRow).where(ImportRow.import_id.in_(ids)).values(data=None)
            )
        return found

    async def expire_reviews(
        self, platform_ids: Sequence[str], limit: datetime
    ) -> list[tuple[str, str]]:
        """These platforms' possible duplicates still open and created before `limit`: nobody
        decided, so the identity they hold goes. The row stays as the trace (status
        `expired`, when, its source and candidate case ids; no personal data). Returns
        (platform id, review id) pairs."""
        query = select(DuplicateReview.platform_id, DuplicateReview.id).where(
            DuplicateReview.platform_id.in_(platform_ids),
            DuplicateReview.status == ReviewStatus.OPEN,
            DuplicateReview.created_at < limit,
        )
        order = (DuplicateReview.platform_id, DuplicateReview.id)
        found = [(r.platform_id, r.id) for r in await self.session.execute(query.order_by(*order))]
        ids = [id for _, id in found]
        if ids:
            await self.session.execute(
                update(DuplicateReview)
                .where(DuplicateReview.id.in_(ids), DuplicateReview.status == ReviewStatus.OPEN)
                .values(status=ReviewStatus.EXPIRED, identity={}, resolved_at=utcnow())
            )
        return found

    async def is_erased(self, case_id: str) -> bool:
        query = select(AuditEvent.id).where(
            AuditEvent.case_id == case_id, AuditEvent.kind == ERASED_KIND
        )
        return (await self.session.execute(query.limit(1))).first() is not None

    async def erase(self, case_id: str, motive: str, actor: tuple[str, str] | None) -> Erasure:
        """Erase once (a second call changes nothing) and record it in the audit chain."""
        audit = AuditRepository(self.session)
        case = await audit.lock_case(case_id)
        if case is None:
            return Erasure(case_id, already_erased=True)
        if await self.is_erased(case_id):
            return Erasure(case_id, already_erased=True)
        done = Erasure(case_id)
        result = await self.session.execute(
            delete(CaseIdentity).where(CaseIdentity.case_id == case_id)
        )
        done.identity = bool(result.rowcount)  # type: ignore[attr-defined]
        done.notes = await NoteRepository(self.session).erase(case_id)
        done.emails = await self._erase_outbox(case_id)
        await self._seal_outbox_keys(case_id)
        done.audit_texts, done.deadlines = await self._erase_audit_texts(case_id)
        done.key = await audit.case_key(case_id) is not None
        done.reviews = await self._erase_reviews(case_id)
        await CreationRequestRepository(self.session).forget_fingerprints(case_id)
        self.session.expire(case, ["identity"])
        data = {
            "motive": motive,
            "identity": done.identity,
            "notes": done.notes,
            "emails": done.emails,
            "audit_texts": done.audit_texts,
            "deadlines": done.deadlines,
            "key": done.key,
            "reviews": done.reviews,
        }
        event = NewEvent(key="erasure", kind=ERASED_KIND, data=data, at=utcnow())
        if actor is not None:
            event.actor_id, event.actor_role = actor
        await audit.append(case, [event])
        await self._destroy_key(case_id)  # last: the case now counts as erased
        return done

    async def _erase_outbox(self, case_id: str) -> int:
        result = await self.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.case_id == case_id, OutboxMessage.to_address != "")
            .values(to_address="", subject="", last_error=None)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def _seal_outbox_keys(self, case_id: str) -> None:
        """A mail's business key and Message-ID (a digest of that key) name its deadline and
        due time, its kind too: sealed under the case's key (still one row per mail, each
        key unique), the kind said erased. Status, attempts and times stay."""
        case_key = await AuditRepository(self.session).case_key(case_id)
        query = select(OutboxMessage).where(
            OutboxMessage.case_id == case_id, OutboxMessage.kind != ERASED
        )
        for row in (await self.session.execute(query)).scalars():
            row.business_key = SEALED_KEY + seal_digest(case_key, case_id, row.business_key)
            row.message_id = SEALED_KEY + seal_digest(case_key, case_id, row.message_id)
            row.kind = ERASED

    async def _erase_reviews(self, case_id: str) -> int:
        """Possible duplicates merged into the case (or kept apart as this case) name the
        young person: their identity goes with the case's."""
        result = await self.session.execute(
            update(DuplicateReview)
            .where(DuplicateReview.resolved_case_id == case_id)
            .values(identity={})
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def _erase_audit_texts(self, case_id: str) -> tuple[int, int]:
        """Personal texts, and what a deadline's events say of it (key, kind, due time,
        recipients), become their seal (an HMAC under the case's key): the hash chain covers
        the seal, so it still verifies once the texts and the key are gone. Counts: events
        with personal texts, deadline events."""
        audit = AuditRepository(self.session)
        case_key = await audit.case_key(case_id)
        texts = deadlines = 0
        for row in await audit.history(case_id):
            before = dict(row.data or {})
            data = redacted(before, row.kind, row.case_id, row.key, case_key)
            key = sealed_key(row.key, row.case_id, case_key)
            if data is not None:
                row.data = data
                only_texts = sealed(
                    before, row.kind, row.case_id, row.key, case_key, deadlines=False
                )
                texts += only_texts != before
            if key != row.key or (data is not None and deadline_fields(row.kind, before)):
                row.key = key
                deadlines += 1
        return texts, deadlines

    async def _destroy_key(self, case_id: str) -> None:
        """Without the key, no seal can be checked against a guessed text."""
        await self.session.execute(delete(CaseKey).where(CaseKey.case_id == case_id))
