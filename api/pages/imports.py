"""A coordinator's list imports: upload a file, follow its progress, read its report."""

from __future__ import annotations

from typing import Any

from fastapi import File, Request, Response, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse

from api.deps import CurrentUser, CurrentUserInfo
from api.errors import InvalidFile
from api.pages.routing import page_router
from api.pages.templating import render
from filrouge.core.domain import ImportStatus, RowStatus
from filrouge.core.labels import IMPORT_STATUS_LABELS, ROW_STATUS_LABELS
from filrouge.services.intake.imports import ImportService

router = page_router()
IMPORTS_PATH = "/plateforme/imports"
# A long report is cut on the page; the corrected file always holds every rejected row.
REPORT_ROWS_SHOWN = 500
FINISHED = (ImportStatus.DONE, ImportStatus.FAILED)


def _service(request: Request) -> ImportService:
    return request.app.state.import_service  # type: ignore[no-any-return]


async def _imports_page(
    request: Request, user: CurrentUserInfo, error: str | None = None, status_code: int = 200
) -> HTMLResponse:
    context: dict[str, Any] = {
        "imports": await _service(request).recent(user),
        "status_labels": IMPORT_STATUS_LABELS,
        "error": error,
        "max_megabytes": _service(request).limits.max_bytes // 2**20,
        "imports_path": IMPORTS_PATH,
    }
    return render(request, "platform/imports.html", context, status_code=status_code)


@router.get(IMPORTS_PATH)
async def page_imports(request: Request, user: CurrentUser) -> HTMLResponse:
    """The upload form and the platform's imports, newest first."""
    return await _imports_page(request, user)


@router.post(IMPORTS_PATH)
async def page_upload_import(
    request: Request, user: CurrentUser, fichier: UploadFile | None = File(None)
) -> Response:
    """Upload a list (multipart, CSRF-checked); then its progress page."""
    service = _service(request)
    if fichier is None or not fichier.filename:
        return await _imports_page(request, user, "Choisissez un fichier CSV ou XLSX.", 422)
    try:  # the form parser spooled the file to disk: the service checks and stores it in parts
        imp, _ = await service.upload(user, fichier.filename, fichier.file)
    except InvalidFile as refused:
        return await _imports_page(request, user, refused.message, 422)
    return RedirectResponse(f"{IMPORTS_PATH}/{imp.id}", status_code=303)


@router.get(f"{IMPORTS_PATH}/{{import_id}}")
async def page_import(request: Request, user: CurrentUser, import_id: str) -> HTMLResponse:
    """One import: its progress while it runs (htmx polls this block), then its report."""
    service = _service(request)
    imp = await service.get(user, import_id[:40])
    finished = imp.status in FINISHED
    rows = await service.report_rows(user, imp.id) if finished else []
    context = {
        "imp": imp,
        "finished": finished,
        "rows": rows[:REPORT_ROWS_SHOWN],
        "rows_total": len(rows),
        "status_labels": IMPORT_STATUS_LABELS,
        "row_labels": ROW_STATUS_LABELS,
        "duplicate_review": RowStatus.DUPLICATE_REVIEW,
        "imports_path": IMPORTS_PATH,
    }
    return render(request, "platform/import.html", context, block="progress")


@router.get(f"{IMPORTS_PATH}/{{import_id}}/rejets.csv")
async def page_import_rejected(request: Request, user: CurrentUser, import_id: str) -> Response:
    """The rejected rows to correct and import again (the API's corrected file)."""
    content = await _service(request).rejected_csv(user, import_id[:40])
    headers = {"Content-Disposition": f'attachment; filename="rejets-{import_id[:40]}.csv"'}
    return Response(content, media_type="text/csv; charset=utf-8", headers=headers)
