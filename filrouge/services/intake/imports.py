"""List imports: upload a list, read its progress, its report and its rejected rows."""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass, field
from typing import BinaryIO

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.service import RPCError

from filrouge.core.caller import Caller
from filrouge.core.clock import utcnow
from filrouge.core.domain import ImportStatus
from filrouge.core.errors import Conflict, InvalidFile, NotFound, Unavailable
from filrouge.intake import IntakeFileError, IntakeLimits
from filrouge.intake.kept import stored_rows
from filrouge.intake.reader import check_upload
from filrouge.intake.report import rejected_rows_of
from filrouge.services.cases.placement import opaque_id
from filrouge.store.engine import transaction
from filrouge.store.intake_repository import ImportRepository
from filrouge.store.models import Import, ImportRow
from workflows.intake import ImportWorkflow, ImportWorkflowInput, import_workflow_id

PART_BYTES = 1024 * 1024  # the file as sent is stored in parts of this size


def own_platform(caller: Caller, platform_id: str | None = None) -> str:
    """The caller's platform; NotFound when they have none or name another one."""
    if not caller.platform_id or (platform_id and platform_id != caller.platform_id):
        raise NotFound("Introuvable.")
    return caller.platform_id


@dataclass
class ImportService:
    """Built once per application with the session factory and the Temporal client."""

    sessions: async_sessionmaker[AsyncSession]
    temporal: Client
    task_queue: str
    search_attributes: bool = True
    limits: IntakeLimits = field(default_factory=IntakeLimits)

    async def upload(self, caller: Caller, filename: str, file: BinaryIO) -> tuple[Import, bool]:
        """Refuse what is cheaply seen unreadable, store the file as sent once per platform and
        content (until the worker has read it), start its import. The file is never loaded
        whole: the worker parses it and keeps only its recognised columns."""
        platform_id = own_platform(caller)
        try:
            await asyncio.to_thread(check_upload, file, self.limits)
        except IntakeFileError as error:
            raise InvalidFile(error.message) from error
        sha = await asyncio.to_thread(_sha256, file)  # of the file as sent: one import per file
        import_id = opaque_id("i", platform_id, sha)
        now = utcnow()
        row = Import(
            id=import_id,
            platform_id=platform_id,
            uploaded_by=caller.id,
            filename=filename[:255],
            content_sha256=sha,
            status=ImportStatus.PENDING,
            identified_on=now.date(),
            ignored_columns=[],
            dropped_columns=[],
            created_at=now,
        )
        existing = await self._store_once(row, file)
        await self._start_import(import_id)
        return existing or row, existing is None

    async def _store_once(self, row: Import, file: BinaryIO) -> Import | None:
        """Store a new import and its file; the import already stored when this file was sent
        before."""
        try:
            async with transaction(self.sessions) as session:
                repo = ImportRepository(session)
                existing = await repo.get(row.id)
                if existing is None:
                    await repo.add(row)
                    await _store_parts(repo, row.id, file)
                return existing
        except IntegrityError:  # the same file sent twice at once: the other request stored it
            async with transaction(self.sessions) as session:
                return await ImportRepository(session).get(row.id)

    async def _start_import(self, import_id: str) -> None:
        try:
            await self.temporal.start_workflow(
                ImportWorkflow.run,
                ImportWorkflowInput(import_id, search_attributes=self.search_attributes),
                id=import_workflow_id(import_id),
                task_queue=self.task_queue,
                id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            )
        except RPCError as exc:
            raise Unavailable("Le moteur d'import est momentanément indisponible.") from exc

    async def get(self, caller: Caller, import_id: str) -> Import:
        """One import of the caller's platform."""
        async with transaction(self.sessions) as session:
            imp = await ImportRepository(session).get(import_id)
        if imp is None or imp.platform_id != caller.platform_id:
            raise NotFound("Import introuvable.")
        return imp

    async def recent(self, caller: Caller, limit: int = 20) -> list[Import]:
        """The caller's platform's imports, newest first."""
        platform_id = own_platform(caller)
        async with transaction(self.sessions) as session:
            return await ImportRepository(session).for_platform(platform_id, limit)

    async def report_rows(self, caller: Caller, import_id: str) -> list[ImportRow]:
        """The rows that did not become a new case, or became one for a reason, with it."""
        await self.get(caller, import_id)
        async with transaction(self.sessions) as session:
            return await ImportRepository(session).report_rows(import_id)

    async def rejected_csv(self, caller: Caller, import_id: str) -> bytes:
        """The rejected rows with the values read, as the report computed them."""
        imp = await self.get(caller, import_id)
        async with transaction(self.sessions) as session:
            content = await ImportRepository(session).content(import_id)
        if content is None:
            raise _no_kept_copy(imp)

        def build() -> bytes:
            return rejected_rows_of(stored_rows(content, self.limits), imp.identified_on)

        try:
            return await asyncio.to_thread(build)
        except IntakeFileError as error:
            raise InvalidFile(error.message) from error


def _no_kept_copy(imp: Import) -> Exception:
    """Why an import has no kept copy of its list."""
    if imp.status == ImportStatus.FAILED:
        return InvalidFile(imp.error or "La liste n'a pas pu être lue.")
    if imp.status == ImportStatus.PENDING:
        return Conflict("La liste n'a pas encore été lue : réessayez dans un instant.")
    return Conflict("La liste importée a été effacée : sa durée de conservation est dépassée.")


def _sha256(file: BinaryIO) -> str:
    digest = hashlib.sha256()
    while chunk := file.read(PART_BYTES):
        digest.update(chunk)
    file.seek(0)
    return digest.hexdigest()


async def _store_parts(repo: ImportRepository, import_id: str, file: BinaryIO) -> None:
    """The file as sent, one part at a time: never more than a part in memory."""
    file.seek(0)
    part = 0
    while chunk := await asyncio.to_thread(file.read, PART_BYTES):
        await repo.add_upload_part(import_id, part, chunk)
        part += 1
