"""Lists stored as sent before kept copies existed are replaced by their kept copy."""

from __future__ import annotations

import asyncio

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from filrouge.intake import IntakeFileError
from filrouge.intake.kept import KEPT_PREFIX, is_kept_copy, kept_copy, read_stored
from filrouge.store.engine import transaction
from filrouge.store.intake_repository import ImportRepository


async def keep_read_copies(sessions: async_sessionmaker[AsyncSession]) -> int:
    """Replace each list stored as sent (other sheets, unknown columns, properties...) of an
    import already read by its kept copy; an unreadable one (a failed import) is deleted.
    Lists not read yet are left to the worker that reads them. Returns how many changed."""
    async with transaction(sessions) as session:
        import_ids = await ImportRepository(session).lists_stored_as_sent(KEPT_PREFIX)
    changed = 0
    for import_id in import_ids:
        async with transaction(sessions) as session:
            repo = ImportRepository(session)
            content = await repo.content(import_id, lock=True)
            if content is None or is_kept_copy(content):
                continue
            try:
                kept = await asyncio.to_thread(_kept_copy_of, content)
            except IntakeFileError:
                await repo.forget_content(import_id)
            else:
                await repo.replace_content(import_id, kept)
            changed += 1
    return changed


def _kept_copy_of(content: bytes) -> bytes:
    return kept_copy(read_stored(content))
