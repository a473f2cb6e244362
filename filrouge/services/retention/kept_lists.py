"""Erasure on request reaches the kept copies of the uploaded lists: the young person's rows go."""

from __future__ import annotations

import asyncio

from sqlalchemy.ext.asyncio import AsyncSession

from filrouge.intake.kept import names_person, without_rows
from filrouge.intake.reader import RawRow
from filrouge.store.intake_repository import ImportRepository
from filrouge.store.repositories import CaseRepository


async def forget_in_lists(session: AsyncSession, case_id: str) -> int:
    """Remove from every kept list the rows that became, reached or were merged into the case,
    and, in the lists of its platform, any row with the person's INE or name and birth date
    (rejected rows and in-file duplicates included). Returns how many rows went; run it before
    the identity is erased (a second run finds the linked rows only)."""
    imports = ImportRepository(session)
    case = await CaseRepository(session).get(case_id)
    if case is None:
        return 0
    identity = case.identity
    ine = identity.ine if identity else None
    name_key = identity.name_key if identity else None
    linked = await imports.rows_reaching(case_id)
    removed = 0
    for import_id in sorted(set(linked) | set(await imports.kept_lists(case.platform_id))):
        numbers = linked.get(import_id, set())
        content = await imports.content(import_id, lock=True)
        if content is None:
            continue

        def drop(row: RawRow, numbers: set[int] = numbers) -> bool:
            return row.row_number in numbers or names_person(row.values, ine, name_key)

        smaller, count = await asyncio.to_thread(without_rows, content, drop)
        if count:
            await imports.replace_content(import_id, smaller)
            removed += count
    return removed
