"""Lists stored as sent before kept copies existed become kept copies (run at worker start)."""

from __future__ import annotations

import hashlib
import io
import uuid

from openpyxl import Workbook
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from filrouge.core.clock import utcnow
from filrouge.core.domain import ImportStatus
from filrouge.intake import read_list
from filrouge.intake.kept import is_kept_copy, kept_copy, read_kept
from filrouge.services.intake.stored_lists import keep_read_copies
from filrouge.store.engine import transaction
from filrouge.store.intake_repository import ImportRepository
from filrouge.store.models import Import, ImportFile, Platform


def workbook() -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Nom", "Prénom", "Date de naissance", "Code postal", "Remarque"])
    sheet.append(["Durand", "Hugo", "01/01/2005", "35000", "COLONNE-INCONNUE-J7"])
    book.create_sheet("Suivi").append(["SECONDE-FEUILLE-J7"])
    book.properties.creator = "AUTEUR-J7"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


async def stored(
    sessions: async_sessionmaker[AsyncSession], status: ImportStatus, content: bytes
) -> str:
    """An import of a new platform with `content` stored in `import_files`, as before."""
    platform_id, import_id, now = f"p-{uuid.uuid4().hex[:8]}", f"i{uuid.uuid4().hex[:20]}", utcnow()
    async with transaction(sessions) as session:
        session.add(Platform(id=platform_id, name="PSAD", created_at=now))
        await session.flush()
        await ImportRepository(session).add(
            Import(
                id=import_id,
                platform_id=platform_id,
                uploaded_by="u-test",
                content_sha256=hashlib.sha256(content).hexdigest(),
                status=status,
                identified_on=now.date(),
                ignored_columns=[],
                dropped_columns=[],
                created_at=now,
            )
        )
        session.add(ImportFile(import_id=import_id, content=content))
    return import_id


async def content_of(sessions: async_sessionmaker[AsyncSession], import_id: str) -> bytes | None:
    async with transaction(sessions) as session:
        return await ImportRepository(session).content(import_id)


async def test_lists_stored_as_sent_become_kept_copies(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    done = await stored(sessions, ImportStatus.DONE, workbook())
    failed = await stored(sessions, ImportStatus.FAILED, b"%PDF-1.4 pas une liste")
    pending = await stored(sessions, ImportStatus.PENDING, workbook())
    already = kept_copy(read_list(workbook()))
    kept = await stored(sessions, ImportStatus.DONE, already)

    assert await keep_read_copies(sessions) >= 2  # other tests' lists may be converted too

    converted = await content_of(sessions, done)
    assert converted is not None and is_kept_copy(converted)
    assert read_kept(converted).rows == read_list(workbook()).rows
    assert "J7" not in converted.decode()
    assert await content_of(sessions, failed) is None  # nothing was read: nothing kept
    unread = await content_of(sessions, pending)
    assert unread is not None and unread.startswith(b"PK")  # the worker's to read, as sent
    assert await content_of(sessions, kept) == already
    assert await keep_read_copies(sessions) == 0  # nothing left to convert
