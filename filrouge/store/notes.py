"""Queries on the free-text notes of a case."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from filrouge.core.clock import utcnow
from filrouge.store.models import CaseNote


class NoteRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, case_id: str, platform_id: str, author_id: str, text: str) -> CaseNote:
        note = CaseNote(
            case_id=case_id,
            platform_id=platform_id,
            author_id=author_id,
            text=text,
            created_at=utcnow(),
        )
        self.session.add(note)
        await self.session.flush()
        return note

    async def visible(self, case_id: str, platform_id: str) -> list[CaseNote]:
        """The case's notes written inside `platform_id`, oldest first (erased ones left out)."""
        query = (
            select(CaseNote)
            .where(
                CaseNote.case_id == case_id,
                CaseNote.platform_id == platform_id,
                CaseNote.text.is_not(None),
            )
            .order_by(CaseNote.id)
        )
        return list((await self.session.execute(query)).scalars())

    async def erase(self, case_id: str) -> int:
        """Blank the texts of a case's notes; returns how many texts were erased."""
        result = await self.session.execute(
            update(CaseNote)
            .where(CaseNote.case_id == case_id, CaseNote.text.is_not(None))
            .values(text=None)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]
