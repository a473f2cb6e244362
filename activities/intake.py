"""Activities of the import workflow: staging, placing batches, finishing, the summary e-mail.

Each one can run again after a crash and finish the same work without doing any of it
twice: rows already staged are not staged again, a row is placed once (its status leaves
`pending` in the same transaction as its case), case workflows start with USE_EXISTING and
re-identifications carry a deterministic update id.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Awaitable
from datetime import datetime
from typing import Any, BinaryIO, TypeVar

from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.delivery import MailingActivities, deliver_once
from filrouge.core.cases.steps import ReidentifyInput
from filrouge.core.clock import utcnow
from filrouge.core.domain import (
    Actor,
    DeliveryStatus,
    ImportStatus,
    Role,
    RowStatus,
    Source,
    StartCaseInput,
    TimerPolicy,
)
from filrouge.core.intake_contracts import (
    FinishImportInput,
    ImportCounts,
    ProcessImportBatchInput,
    ProcessImportBatchResult,
    StageImportInput,
    StageImportResult,
)
from filrouge.intake import IntakeFileError, validate_list
from filrouge.intake.kept import is_kept_copy, kept_copy
from filrouge.intake.reader import read_list_file
from filrouge.intake.report import ImportReport
from filrouge.intake.validate import ValidRow
from filrouge.mail import links
from filrouge.mail.mailer import (
    PermanentSmtpError,
    SmtpCredentialsRefused,
    TemporarySmtpError,
    message_id_for,
)
from filrouge.services.cases.launch import Reidentification, reidentify_cases, start_cases
from filrouge.services.cases.placement import (
    ENDED_CASE_REASON,
    Candidate,
    Placer,
    identity_from_json,
    identity_to_json,
    start_input_from_case,
)
from filrouge.store.engine import transaction
from filrouge.store.intake_repository import ImportRepository
from filrouge.store.models import Import, ImportRow
from filrouge.store.repositories import ReferenceRepository

T = TypeVar("T")
CHUNK = 2000
GONE = "La liste envoyée n'est plus disponible : envoyez-la de nouveau."
SUMMARY_FINAL = (DeliveryStatus.SENT, DeliveryStatus.NO_RECIPIENT, DeliveryStatus.FAILED)


def uploader(imp: Import) -> Actor:
    return Actor(imp.uploaded_by, Role.COORDINATEUR)


def import_identified_at(imp: Import) -> datetime:
    """Every row of an import is identified when the list was uploaded."""
    return imp.created_at


def counts_of(imp: Import) -> ImportCounts:
    return ImportCounts(
        status=ImportStatus(imp.status),
        rows_read=imp.rows_read,
        created=imp.created,
        reidentified=imp.reidentified,
        possible_duplicates=imp.possible_duplicates,
        in_file_duplicates=imp.in_file_duplicates,
        rejected=imp.rejected,
        to_route=imp.to_route,
        processed=imp.processed,
    )


async def refresh_counters(repo: ImportRepository, imp: Import) -> None:
    """Counters recounted from the rows themselves, so they are exact after any retry."""
    counts, done = await repo.status_counts(imp.id)
    imp.created = counts.get(RowStatus.CREATED, 0) + counts.get(RowStatus.TO_ROUTE, 0)
    imp.to_route = counts.get(RowStatus.TO_ROUTE, 0)
    imp.reidentified = counts.get(RowStatus.REIDENTIFIED, 0)
    imp.possible_duplicates = counts.get(RowStatus.DUPLICATE_REVIEW, 0)
    imp.rejected = counts.get(RowStatus.REJECTED, 0)
    imp.in_file_duplicates = counts.get(RowStatus.IN_FILE_DUPLICATE, 0)
    imp.processed = done


def staged_rows(
    import_id: str, valid: list[ValidRow], report: ImportReport, batch_size: int
) -> list[dict[str, Any]]:
    """One row per data row: rejected and in-file duplicates are final, the others pending."""
    rows: list[dict[str, Any]] = [
        {
            "import_id": import_id,
            "row_number": r.row_number,
            "batch": -1,
            "status": RowStatus.REJECTED,
            "done": True,
            "reasons": r.reasons(),
            "data": None,
        }
        for r in report.rejected
    ]
    rows += [
        {
            "import_id": import_id,
            "row_number": d.row_number,
            "batch": -1,
            "status": RowStatus.IN_FILE_DUPLICATE,
            "done": True,
            "reasons": f"même INE que la ligne {d.same_as_row} (un seul dossier)",
            "data": None,
        }
        for d in report.duplicates_in_file
    ]
    for position, row in enumerate(valid):
        data = identity_to_json(row.identity_fields())
        rows.append(
            {
                "import_id": import_id,
                "row_number": row.row_number,
                "batch": position // batch_size,
                "status": RowStatus.PENDING,
                "done": False,
                "reasons": None,
                "data": data,
            }
        )
    return rows


class IntakeActivities(MailingActivities):
    """Built once in the worker; Temporal calls go through the activity's own client."""

    # ------------------------------------------------------------ staging

    @activity.defn(name="stage_import")
    async def stage_import(self, input: StageImportInput) -> StageImportResult:
        """Read and validate the file as sent once, stage its rows, keep only its recognised
        columns and delete it, in one transaction; a malformed file fails the import alone."""
        async with transaction(self.sessions) as session:
            repo = ImportRepository(session)
            imp = await _import(repo, input.import_id)
            if imp.status == ImportStatus.FAILED:
                return StageImportResult(0, error=imp.error)
            if await repo.has_rows(imp.id):
                return StageImportResult(await repo.batches(imp.id), imp.rows_read)
            identified_on = imp.identified_on
        # Unnamed (O_TMPFILE): it goes with the worker's process if that dies before the end.
        with tempfile.TemporaryFile(prefix="filrouge-liste-") as file:
            try:
                await self.copy_upload(input.import_id, file)
                parsed = await _beating("lecture", asyncio.to_thread(read_list_file, file))
            except IntakeFileError as error:
                await self._fail(input.import_id, error.message)
                return StageImportResult(0, error=error.message)
        activity.heartbeat("lu")
        valid, report = await _beating(
            "validation", asyncio.to_thread(validate_list, parsed, identified_on)
        )
        kept = await asyncio.to_thread(kept_copy, parsed)
        del parsed
        activity.heartbeat("validé")
        rows = staged_rows(input.import_id, valid, report, input.batch_size)
        async with transaction(self.sessions) as session:
            repo = ImportRepository(session)
            imp = await _import(repo, input.import_id, lock=True)
            if not await repo.has_rows(imp.id):
                for start in range(0, len(rows), CHUNK):
                    await repo.insert_rows(rows[start : start + CHUNK])
                    activity.heartbeat(f"{start + CHUNK} lignes enregistrées")
                await repo.keep(imp.id, kept)
                imp.status, imp.rows_read = ImportStatus.RUNNING, report.rows_read
                imp.ignored_columns = list(report.ignored_columns)
                imp.dropped_columns = list(report.dropped_forbidden_columns)
                await refresh_counters(repo, imp)
        batches = (len(valid) + input.batch_size - 1) // input.batch_size
        return StageImportResult(batches, report.rows_read)

    async def copy_upload(self, import_id: str, file: BinaryIO) -> None:
        """Write the file as sent into `file`, part by part; a list stored before the parts
        existed is its stored copy."""
        async with transaction(self.sessions) as session:
            repo = ImportRepository(session)
            parts = await repo.upload_parts(import_id)
            for part in parts:
                await asyncio.to_thread(file.write, await repo.upload_part(import_id, part))
            if not parts:
                legacy = await repo.content(import_id)
                if legacy is None or is_kept_copy(legacy):
                    raise IntakeFileError(GONE)
                file.write(legacy)
        file.seek(0)

    async def _fail(self, import_id: str, message: str) -> None:
        async with transaction(self.sessions) as session:
            repo = ImportRepository(session)
            imp = await _import(repo, import_id, lock=True)
            imp.status, imp.error, imp.finished_at = ImportStatus.FAILED, message, utcnow()
            await repo.forget_upload(import_id)

    # ------------------------------------------------------------ batches

    @activity.defn(name="process_import_batch")
    async def process_import_batch(
        self, input: ProcessImportBatchInput
    ) -> ProcessImportBatchResult:
        """Place the batch's pending rows in one transaction, then start their workflows."""
        placed = await self._place(input)
        activity.heartbeat(f"lot {input.batch} : {placed} lignes placées")
        launched = await self._launch(input)
        activity.heartbeat(f"lot {input.batch} : {launched} dossiers lancés")
        return ProcessImportBatchResult(placed, launched)

    async def _place(self, input: ProcessImportBatchInput) -> int:
        async with transaction(self.sessions) as session:
            repo = ImportRepository(session)
            imp = await _import(repo, input.import_id, lock=True)  # one batch at a time
            rows = await repo.pending_rows(imp.id, input.batch)
            if not rows:
                return 0
            candidates = [_candidate(imp, row) for row in rows]
            placer = Placer(session)
            await placer.load(candidates)
            for row, candidate in zip(rows, candidates, strict=True):
                result = placer.place(candidate)
                row.status = result.status
                row.case_id = result.case_id or result.review_id
                if result.status == RowStatus.DUPLICATE_REVIEW or not row.case_id:
                    # A review, or a young person another platform follows (its notice):
                    # nothing to launch from here.
                    row.done, row.data = True, None
                if result.status == RowStatus.DUPLICATE_REVIEW:
                    row.reasons = "doublon possible (même nom et date de naissance, sans INE)"
            await placer.flush()
            await refresh_counters(repo, imp)
            return len(rows)

    async def _launch(self, input: ProcessImportBatchInput) -> int:
        async with transaction(self.sessions) as session:
            repo = ImportRepository(session)
            imp = await _import(repo, input.import_id)
            rows = await repo.rows_to_launch(imp.id, input.batch)
            cases = await repo.cases(r.case_id for r in rows if r.case_id)
            stored = await ReferenceRepository(session).stored_policies(
                c.platform_id for c in cases.values()
            )
            policies = {id: TimerPolicy.from_dict(policy) for id, policy in stored.items()}
        if not rows:
            return 0
        actor = uploader(imp)
        starts, reidentifications, rows_by_update = [], [], {}
        for row in rows:
            case = cases[row.case_id or ""]
            if row.status == RowStatus.REIDENTIFIED:
                step = ReidentifyInput(actor, Source.SIEI, import_identified_at(imp))
                update_id = f"reid-{imp.content_sha256[:24]}-{row.row_number}"
                reidentifications.append(Reidentification(case.id, step, update_id))
                rows_by_update[update_id] = row.row_number
            else:
                policy = policies.get(case.platform_id, TimerPolicy())
                starts.append(start_input_from_case(case, actor, policy))
        client = activity.client()
        task_queue = activity.info().task_queue
        concurrency = input.start_concurrency
        await start_cases(
            client,
            task_queue,
            starts,
            search_attributes=input.search_attributes,
            concurrency=concurrency,
        )
        ended = await reidentify_cases(client, reidentifications, concurrency=concurrency)
        if ended:
            renewed = await self._new_cases_for(input, [rows_by_update[e.update_id] for e in ended])
            await start_cases(
                client,
                task_queue,
                renewed,
                search_attributes=input.search_attributes,
                concurrency=concurrency,
            )
        async with transaction(self.sessions) as session:
            repo = ImportRepository(session)
            imp = await _import(repo, input.import_id, lock=True)
            await repo.mark_done(imp.id, [r.row_number for r in rows])
            await refresh_counters(repo, imp)
        return len(rows)

    async def _new_cases_for(
        self, input: ProcessImportBatchInput, row_numbers: list[int]
    ) -> list[StartCaseInput]:
        """Rows matching a case whose workflow has ended: each gets a new case, with why."""
        async with transaction(self.sessions) as session:
            repo = ImportRepository(session)
            imp = await _import(repo, input.import_id, lock=True)
            rows = [
                row
                for row in await repo.rows_to_launch(imp.id, input.batch)
                if row.row_number in row_numbers and row.status == RowStatus.REIDENTIFIED
            ]
            candidates = [_candidate(imp, row) for row in rows]
            placer = Placer(session)
            await placer.load(candidates)
            for row, candidate in zip(rows, candidates, strict=True):
                placed = placer.place(candidate, force_new=True)
                row.status, row.case_id = placed.status, placed.case_id
                row.reasons = ENDED_CASE_REASON
            await placer.flush()
            await refresh_counters(repo, imp)
            cases = await repo.cases(row.case_id for row in rows if row.case_id)
            return [
                start_input_from_case(
                    case, uploader(imp), placer.policies.get(case.platform_id, TimerPolicy())
                )
                for case in cases.values()
            ]

    # ------------------------------------------------------------ the end

    @activity.defn(name="finish_import")
    async def finish_import(self, input: FinishImportInput) -> ImportCounts:
        """Final counters; the import is done (or stays failed)."""
        async with transaction(self.sessions) as session:
            repo = ImportRepository(session)
            imp = await _import(repo, input.import_id, lock=True)
            if imp.status != ImportStatus.FAILED:
                await refresh_counters(repo, imp)
                imp.status = ImportStatus.DONE
            imp.finished_at = imp.finished_at or utcnow()
            return counts_of(imp)

    @activity.defn(name="send_import_summary")
    async def send_import_summary(self, input: FinishImportInput) -> str:
        """The report summary to the coordinators of the uploading platform, once.

        As the case notifications (activities/delivery.py): the pending status is committed
        before the SMTP session, the Message-ID is the import's, a retry after the server
        accepted it (heartbeat) or after it was marked sent does not send again.
        """
        async with transaction(self.sessions) as session:
            imp = await _import(ImportRepository(session), input.import_id, lock=True)
            if imp.summary_status in SUMMARY_FINAL:
                return imp.summary_status or ""
            refs = ReferenceRepository(session)
            coordinators = await refs.users(imp.platform_id, Role.COORDINATEUR)
            to = sorted({u.email.strip() for u in coordinators if u.active and u.email.strip()})
            if not to:
                imp.summary_status = DeliveryStatus.NO_RECIPIENT
                return imp.summary_status
            platform = await refs.platform(imp.platform_id)
            mail = self.mailer.render("import_summary", self._context(imp, platform))
            message_id = message_id_for(f"import|{imp.id}", self.smtp.sender)
            message = self.mailer.message(mail, to=to, message_id=message_id)
            imp.summary_status = DeliveryStatus.PENDING

        async def record_sent(_refused: int) -> str:
            return await self._summary_status(input.import_id, DeliveryStatus.SENT)

        try:
            return await deliver_once(self.mailer, message, record_sent)
        except PermanentSmtpError as exc:
            return await self._summary_status(input.import_id, DeliveryStatus.FAILED, exc.reason)
        except (TemporarySmtpError, SmtpCredentialsRefused) as exc:
            reason = exc.reason
        raise ApplicationError(f"Envoi différé : {reason}", type="TemporarySmtpError")

    def _context(self, imp: Import, platform: Any) -> dict[str, Any]:
        return {
            "platform_name": platform.name if platform else imp.platform_id,
            "time_zone": platform.zone_name if platform else None,
            "filename": imp.filename,
            "counts": counts_of(imp),
            "ignored_columns": imp.ignored_columns,
            "dropped_columns": imp.dropped_columns,
            "import_url": links.import_link(self.public_url, imp.id),
            "rejected_url": links.rejected_rows_link(self.public_url, imp.id),
            "duplicates_url": links.duplicates_link(self.public_url),
        }

    async def _summary_status(
        self, import_id: str, status: DeliveryStatus, reason: str = ""
    ) -> str:
        async with transaction(self.sessions) as session:
            imp = await _import(ImportRepository(session), import_id, lock=True)
            imp.summary_status = status
        if reason:
            activity.logger.warning("Import summary %s failed for good: %s", import_id, reason)
        return status


async def _beating(doing: str, work: Awaitable[T]) -> T:
    """Await `work` (a thread reading a 200 MB sheet may outlast the heartbeat timeout)
    while heartbeating every 10 seconds."""

    async def beat() -> None:
        while True:
            await asyncio.sleep(10)
            activity.heartbeat(doing)

    beating = asyncio.create_task(beat())
    try:
        return await work
    finally:
        beating.cancel()


async def _import(repo: ImportRepository, import_id: str, *, lock: bool = False) -> Import:
    imp = await repo.get(import_id, lock=lock)
    if imp is None:
        raise ApplicationError("import row missing", type="ImportMissing", non_retryable=True)
    return imp


def _candidate(imp: Import, row: ImportRow) -> Candidate:
    return Candidate(
        key=f"{imp.id}|{row.row_number}",
        identity=identity_from_json(row.data or {}),
        source=Source.SIEI,
        identified_at=import_identified_at(imp),
        actor=uploader(imp),
        fallback_platform_id=imp.platform_id,
        import_id=imp.id,
        row_number=row.row_number,
    )
