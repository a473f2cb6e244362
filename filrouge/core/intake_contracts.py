"""Contracts of the import workflow's activities: inputs, results and typed stubs."""

from __future__ import annotations

from dataclasses import dataclass

from temporalio import activity

from filrouge.core.domain import ImportStatus


@dataclass
class StageImportInput:
    import_id: str
    batch_size: int = 250


@dataclass
class StageImportResult:
    """`error` (French) when the file cannot be read; `batches` of rows to place otherwise."""

    batches: int
    rows_read: int = 0
    error: str | None = None


@dataclass
class ProcessImportBatchInput:
    import_id: str
    batch: int
    search_attributes: bool = True
    start_concurrency: int = 32


@dataclass
class ProcessImportBatchResult:
    placed: int
    launched: int


@dataclass
class FinishImportInput:
    import_id: str


@dataclass
class ImportCounts:
    """The import's counters, as the report and the coordinators' e-mail show them."""

    status: ImportStatus
    rows_read: int
    created: int
    reidentified: int
    possible_duplicates: int
    in_file_duplicates: int
    rejected: int
    to_route: int
    processed: int

    def summary_fr(self) -> str:
        """The report's summary in French (e-mail, command line)."""
        return "\n".join(
            [
                f"Lignes lues : {self.rows_read}",
                f"Dossiers créés : {self.created} (dont {self.to_route} à router à la main)",
                f"Repérages ajoutés à des dossiers existants : {self.reidentified}",
                f"Doublons possibles à examiner : {self.possible_duplicates}",
                f"Doublons dans le fichier (même INE) : {self.in_file_duplicates}",
                f"Lignes rejetées : {self.rejected}",
            ]
        )


@activity.defn(name="stage_import")
async def stage_import(input: StageImportInput) -> StageImportResult:
    """Read and validate the stored file, write one row per data row (idempotent)."""
    raise NotImplementedError("registered by the worker")


@activity.defn(name="process_import_batch")
async def process_import_batch(input: ProcessImportBatchInput) -> ProcessImportBatchResult:
    """Place a batch of rows, then start their case workflows (idempotent)."""
    raise NotImplementedError("registered by the worker")


@activity.defn(name="finish_import")
async def finish_import(input: FinishImportInput) -> ImportCounts:
    """Mark the import done with its final counters."""
    raise NotImplementedError("registered by the worker")


@activity.defn(name="send_import_summary")
async def send_import_summary(input: FinishImportInput) -> str:
    """E-mail the report summary to the platform's coordinators, once per import."""
    raise NotImplementedError("registered by the worker")
