"""Queries of bulk intake: imports and their rows, duplicate reviews, matches and workloads."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from filrouge.core.domain import ImportStatus, ReviewStatus, Role, RowStatus, Stage
from filrouge.store.models import (
    Case,
    CaseIdentity,
    DuplicateReview,
    Import,
    ImportFile,
    ImportRow,
    ImportUploadPart,
    Structure,
    User,
)

# Row statuses whose case still has to be started (or told) in Temporal.
TO_LAUNCH = (RowStatus.CREATED, RowStatus.TO_ROUTE, RowStatus.REIDENTIFIED)


@dataclass(frozen=True)
class ExistingCase:
    """A case that an incoming identity may be the same young person as."""

    case_id: str
    platform_id: str
    stage: str


@dataclass(frozen=True)
class ReferentLoad:
    """An active référent, the kind of their structure and their open cases."""

    platform_id: str
    user_id: str
    structure_id: str | None
    structure_kind: str | None
    open_cases: int


class ImportRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, import_id: str, *, lock: bool = False) -> Import | None:
        query = select(Import).where(Import.id == import_id)
        if lock:
            query = query.with_for_update()
        return (await self.session.execute(query)).scalar_one_or_none()

    async def for_platform(self, platform_id: str, limit: int) -> list[Import]:
        """The platform's imports, newest first."""
        query = (
            select(Import)
            .where(Import.platform_id == platform_id)
            .order_by(Import.created_at.desc(), Import.id)
            .limit(limit)
        )
        return list((await self.session.execute(query)).scalars())

    async def content(self, import_id: str, *, lock: bool = False) -> bytes | None:
        """The kept copy of the list (or, for a list stored before kept copies, the file)."""
        query = select(ImportFile.content).where(ImportFile.import_id == import_id)
        if lock:
            query = query.with_for_update()
        found = (await self.session.execute(query)).scalar_one_or_none()
        return bytes(found) if found is not None else None

    async def replace_content(self, import_id: str, content: bytes) -> None:
        await self.session.execute(
            update(ImportFile).where(ImportFile.import_id == import_id).values(content=content)
        )

    async def lists_stored_as_sent(self, prefix: bytes) -> list[str]:
        """Imports already read whose stored list does not start with `prefix` (the kept-copy
        format): lists stored as sent before kept copies existed."""
        query = (
            select(Import.id)
            .join(ImportFile, ImportFile.import_id == Import.id)
            .where(
                Import.status != ImportStatus.PENDING,
                func.substr(ImportFile.content, 1, len(prefix)) != prefix,
            )
        )
        return list((await self.session.execute(query.order_by(Import.id))).scalars())

    async def forget_content(self, import_id: str) -> None:
        await self.session.execute(delete(ImportFile).where(ImportFile.import_id == import_id))

    async def kept_lists(self, platform_id: str) -> list[str]:
        """The platform's imports whose list is kept."""
        query = (
            select(Import.id)
            .join(ImportFile, ImportFile.import_id == Import.id)
            .where(Import.platform_id == platform_id)
        )
        return list((await self.session.execute(query.order_by(Import.id))).scalars())

    async def rows_reaching(self, case_id: str) -> dict[str, set[int]]:
        """Per import, the row numbers that became, reached or were merged into a case."""
        rows = select(ImportRow.import_id, ImportRow.row_number).where(ImportRow.case_id == case_id)
        merged = select(DuplicateReview.import_id, DuplicateReview.row_number).where(
            DuplicateReview.resolved_case_id == case_id,
            DuplicateReview.import_id.is_not(None),
            DuplicateReview.row_number.is_not(None),
        )
        found: dict[str, set[int]] = {}
        for query in (rows, merged):
            for import_id, number in (await self.session.execute(query)).all():
                if import_id is not None and number is not None:
                    found.setdefault(import_id, set()).add(number)
        return found

    async def add(self, row: Import) -> None:
        self.session.add(row)
        await self.session.flush()

    async def add_upload_part(self, import_id: str, part: int, data: bytes) -> None:
        """One part of the file as sent (written by plain statement: no object kept)."""
        await self.session.execute(
            insert(ImportUploadPart).values(import_id=import_id, part=part, data=data)
        )

    async def upload_parts(self, import_id: str) -> list[int]:
        """The numbers of the parts of the file as sent still waiting to be read."""
        query = select(ImportUploadPart.part).where(ImportUploadPart.import_id == import_id)
        return list((await self.session.execute(query.order_by(ImportUploadPart.part))).scalars())

    async def upload_part(self, import_id: str, part: int) -> bytes:
        query = select(ImportUploadPart.data).where(
            ImportUploadPart.import_id == import_id, ImportUploadPart.part == part
        )
        return bytes((await self.session.execute(query)).scalar_one())

    async def keep(self, import_id: str, content: bytes) -> None:
        """Keep the read copy of the list and forget the file as sent."""
        stored = await self.session.get(ImportFile, import_id)
        if stored is None:
            self.session.add(ImportFile(import_id=import_id, content=content))
        else:
            stored.content = content
        await self.forget_upload(import_id)
        await self.session.flush()

    async def forget_upload(self, import_id: str) -> None:
        """Delete the file as sent (read, or unreadable)."""
        await self.session.execute(
            delete(ImportUploadPart).where(ImportUploadPart.import_id == import_id)
        )

    async def has_rows(self, import_id: str) -> bool:
        query = select(func.count()).where(ImportRow.import_id == import_id)
        return bool(await self.session.scalar(query))

    async def batches(self, import_id: str) -> int:
        """How many batches the staged rows of an import form."""
        query = select(func.max(ImportRow.batch)).where(ImportRow.import_id == import_id)
        highest = await self.session.scalar(query)
        return int(highest) + 1 if highest is not None and highest >= 0 else 0

    async def insert_rows(self, rows: Sequence[dict[str, Any]]) -> None:
        """Stage many rows in one statement (plain values: no object per row)."""
        if rows:
            await self.session.execute(insert(ImportRow), list(rows))

    async def add_rows(self, rows: Sequence[ImportRow]) -> None:
        self.session.add_all(rows)
        await self.session.flush()

    async def pending_rows(self, import_id: str, batch: int) -> list[ImportRow]:
        query = select(ImportRow).where(
            ImportRow.import_id == import_id,
            ImportRow.batch == batch,
            ImportRow.status == RowStatus.PENDING,
        )
        return list((await self.session.execute(query.order_by(ImportRow.row_number))).scalars())

    async def rows_to_launch(self, import_id: str, batch: int) -> list[ImportRow]:
        query = select(ImportRow).where(
            ImportRow.import_id == import_id,
            ImportRow.batch == batch,
            ImportRow.status.in_(TO_LAUNCH),
            ImportRow.done.is_(False),
        )
        return list((await self.session.execute(query.order_by(ImportRow.row_number))).scalars())

    async def mark_done(self, import_id: str, row_numbers: Sequence[int]) -> None:
        if row_numbers:
            await self.session.execute(
                update(ImportRow)
                .where(ImportRow.import_id == import_id, ImportRow.row_number.in_(row_numbers))
                .values(done=True, data=None)
            )

    async def status_counts(self, import_id: str) -> tuple[dict[str, int], int]:
        """Rows per status, and how many rows have reached their final state."""
        query = (
            select(ImportRow.status, ImportRow.done, func.count())
            .where(ImportRow.import_id == import_id)
            .group_by(ImportRow.status, ImportRow.done)
        )
        counts: dict[str, int] = {}
        done = 0
        for status, is_done, n in (await self.session.execute(query)).all():
            counts[status] = counts.get(status, 0) + n
            done += n if is_done else 0
        return counts, done

    async def report_rows(self, import_id: str) -> list[ImportRow]:
        """Rows that became no case, and rows that became one for a reason (a case ended)."""
        statuses = [RowStatus.REJECTED, RowStatus.IN_FILE_DUPLICATE, RowStatus.DUPLICATE_REVIEW]
        query = select(ImportRow).where(
            ImportRow.import_id == import_id,
            or_(ImportRow.status.in_(statuses), ImportRow.reasons.is_not(None)),
        )
        return list((await self.session.execute(query.order_by(ImportRow.row_number))).scalars())

    async def cases(self, case_ids: Iterable[str]) -> dict[str, Case]:
        ids = list(case_ids)
        if not ids:
            return {}
        rows = (await self.session.execute(select(Case).where(Case.id.in_(ids)))).unique()
        return {case.id: case for case in rows.scalars()}


class MatchRepository:
    """Who is already known: by INE, by normalised name and birth date; référent workloads."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def by_ine(self, ines: Iterable[str]) -> dict[str, dict[str, ExistingCase]]:
        """Per INE, the most recently identified case of each platform that follows it."""
        wanted = sorted(set(ines))
        if not wanted:
            return {}
        query = (
            select(CaseIdentity.ine, Case.id, Case.platform_id, Case.stage)
            .join(Case, Case.id == CaseIdentity.case_id)
            .where(CaseIdentity.ine.in_(wanted))
            .order_by(Case.identified_at, Case.id)
        )
        found: dict[str, dict[str, ExistingCase]] = {}
        for ine, case_id, platform_id, stage in (await self.session.execute(query)).all():
            if ine:
                found.setdefault(ine, {})[platform_id] = ExistingCase(case_id, platform_id, stage)
        return found

    async def by_name_key(self, keys: Iterable[str]) -> dict[tuple[str, str], list[str]]:
        """Case ids per (platform, name key): a coordinator only judges their own cases."""
        wanted = sorted(set(keys))
        if not wanted:
            return {}
        query = (
            select(Case.platform_id, CaseIdentity.name_key, CaseIdentity.case_id)
            .join(Case, Case.id == CaseIdentity.case_id)
            .where(CaseIdentity.name_key.in_(wanted))
            .order_by(CaseIdentity.case_id)
        )
        found: dict[tuple[str, str], list[str]] = {}
        for platform_id, key, case_id in (await self.session.execute(query)).all():
            if key:
                found.setdefault((platform_id, key), []).append(case_id)
        return found

    async def referent_loads(self, platform_ids: Iterable[str]) -> list[ReferentLoad]:
        """The active référents of these platforms with their open cases, in one query."""
        wanted = sorted(set(platform_ids))
        open_cases = (
            select(Case.referent_id, func.count().label("n"))
            .where(
                Case.platform_id.in_(wanted),
                Case.stage != Stage.CLOTURE.value,
                Case.referent_id.is_not(None),
            )
            .group_by(Case.referent_id)
            .subquery()
        )
        query = (
            select(
                User.platform_id,
                User.id,
                User.structure_id,
                Structure.kind,
                func.coalesce(open_cases.c.n, 0),
            )
            .outerjoin(open_cases, open_cases.c.referent_id == User.id)
            .outerjoin(Structure, Structure.id == User.structure_id)
            .where(
                User.role == Role.REFERENT.value,
                User.active.is_(True),
                User.platform_id.in_(wanted),
            )
        )
        rows = (await self.session.execute(query)).all()
        return [ReferentLoad(p, u, s, k, int(n)) for p, u, s, k, n in rows]


class DuplicateReviewRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, review_id: str, *, lock: bool = False) -> DuplicateReview | None:
        query = select(DuplicateReview).where(DuplicateReview.id == review_id)
        if lock:
            query = query.with_for_update()
        return (await self.session.execute(query)).scalar_one_or_none()

    async def open_for(self, platform_id: str, limit: int, offset: int) -> list[DuplicateReview]:
        query = (
            select(DuplicateReview)
            .where(
                DuplicateReview.platform_id == platform_id,
                DuplicateReview.status == ReviewStatus.OPEN,
            )
            .order_by(DuplicateReview.created_at, DuplicateReview.id)
            .limit(limit)
            .offset(offset)
        )
        return list((await self.session.execute(query)).scalars())
