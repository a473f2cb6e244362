"""HTTP endpoints of intake: list imports, referrals, possible duplicates, bulk reassignment."""

from __future__ import annotations

import io
from dataclasses import asdict
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, File, Query, Request, Response, UploadFile
from pydantic import BaseModel, Field

from api.deps import CurrentUser, IdempotencyKey
from api.errors import TooLarge
from api.schemas import Body, StepOut, person_model
from filrouge.core.domain import ImportStatus, RowStatus, Source
from filrouge.core.identity import IdentityField
from filrouge.core.intake_contracts import ImportCounts
from filrouge.services.cases.creation import CaseCreation, Identification
from filrouge.services.cases.service import CaseService
from filrouge.services.intake.crossings import open_crossings
from filrouge.services.intake.duplicates import DuplicateReviews
from filrouge.services.intake.imports import ImportService
from filrouge.services.intake.referrals import refer

if TYPE_CHECKING:  # a row type only: the API reads rows through services
    from filrouge.store.models import Import

router = APIRouter(tags=["repérage"])
Text = Annotated[str, Field(max_length=300)]
CaseId = Annotated[str, Field(min_length=1, max_length=40)]


def get_import_service(request: Request) -> ImportService:
    return request.app.state.import_service  # type: ignore[no-any-return]


def get_case_service(request: Request) -> CaseService:
    return request.app.state.case_service  # type: ignore[no-any-return]


def get_creation(request: Request) -> CaseCreation:
    return get_case_service(request).creation


def get_reviews(request: Request) -> DuplicateReviews:
    return request.app.state.duplicate_reviews  # type: ignore[no-any-return]


Service = Annotated[ImportService, Depends(get_import_service)]
Cases = Annotated[CaseService, Depends(get_case_service)]
Creation = Annotated[CaseCreation, Depends(get_creation)]
Reviews = Annotated[DuplicateReviews, Depends(get_reviews)]


class ImportOut(BaseModel):
    id: str
    filename: str
    status: str
    error: str | None
    rows_read: int
    created: int
    to_route: int
    reidentified: int
    possible_duplicates: int
    in_file_duplicates: int
    rejected: int
    processed: int
    ignored_columns: list[str]
    dropped_columns: list[str]
    created_at: datetime
    finished_at: datetime | None
    summary: str


class ReportRowOut(BaseModel):
    row_number: int
    status: str
    reasons: str | None
    review_id: str | None = None


class ImportReportOut(ImportOut):
    rows: list[ReportRowOut]


def import_out(imp: Import) -> ImportOut:
    counts = ImportCounts(
        ImportStatus(imp.status),
        imp.rows_read,
        imp.created,
        imp.reidentified,
        imp.possible_duplicates,
        imp.in_file_duplicates,
        imp.rejected,
        imp.to_route,
        imp.processed,
    )
    return ImportOut(
        id=imp.id,
        filename=imp.filename,
        status=imp.status,
        error=imp.error,
        rows_read=imp.rows_read,
        created=imp.created,
        to_route=imp.to_route,
        reidentified=imp.reidentified,
        possible_duplicates=imp.possible_duplicates,
        in_file_duplicates=imp.in_file_duplicates,
        rejected=imp.rejected,
        processed=imp.processed,
        ignored_columns=imp.ignored_columns,
        dropped_columns=imp.dropped_columns,
        created_at=imp.created_at,
        finished_at=imp.finished_at,
        summary=counts.summary_fr(),
    )


# ---------------------------------------------------------------- imports


def _within_limit(upload: UploadFile, limit: int) -> None:
    """The upload is spooled to a temporary file by the form parser: its size, not its bytes."""
    size = upload.file.seek(0, io.SEEK_END)
    upload.file.seek(0)
    if size > limit:
        raise TooLarge(f"Le fichier dépasse la taille maximale autorisée ({limit // 2**20} Mo).")


@router.post("/imports", response_model=ImportOut, status_code=202)
async def upload_import(
    user: CurrentUser, service: Service, response: Response, file: UploadFile = File(...)
) -> ImportOut:
    """Coordinator: upload a list (CSV or XLSX); the import runs in the background."""
    _within_limit(file, service.limits.max_bytes)
    imp, created = await service.upload(user, file.filename or "liste", file.file)
    if not created:
        response.status_code = 200  # the same file again: the same import, nothing new
    return import_out(imp)


@router.get("/imports/{import_id}", response_model=ImportOut)
async def get_import(import_id: str, user: CurrentUser, service: Service) -> ImportOut:
    """Status and counts so far."""
    return import_out(await service.get(user, import_id))


@router.get("/imports/{import_id}/report", response_model=ImportReportOut)
async def import_report(import_id: str, user: CurrentUser, service: Service) -> ImportReportOut:
    """Counts and every row that did not become a new case (or did, for a reason), with why."""
    out = import_out(await service.get(user, import_id))
    rows = [
        ReportRowOut(
            row_number=r.row_number,
            status=r.status,
            reasons=r.reasons,
            review_id=r.case_id if r.status == RowStatus.DUPLICATE_REVIEW else None,
        )
        for r in await service.report_rows(user, import_id)
    ]
    return ImportReportOut(**out.model_dump(), rows=rows)


@router.get(
    "/imports/{import_id}/rejected.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
)
async def import_rejected_csv(import_id: str, user: CurrentUser, service: Service) -> Response:
    """The rejected rows to correct and import again (CSV `;`, UTF-8, formulas neutralised)."""
    content = await service.rejected_csv(user, import_id)
    headers = {"Content-Disposition": f'attachment; filename="rejets-{import_id}.csv"'}
    return Response(content, media_type="text/csv; charset=utf-8", headers=headers)


# ---------------------------------------------------------------- referrals


def _referred(f: IdentityField) -> tuple[Any, Any]:
    """Any text up to 300 characters: the list row's checks (`validate_row`) do the rest."""
    kind = Text if f.type is str else f.type
    if f.required:
        return (kind, ...)
    return (kind, False) if f.type is bool else (kind | None, None)


class ReferredPersonIn(person_model("ReferredPersonIn", Body, _referred)):  # type: ignore[misc]
    """Identity of the young person, checked like a list row."""


class ReferralIn(Body):
    source: Source
    identified_on: date | None = None
    person: ReferredPersonIn


class ReferralOut(BaseModel):
    status: str
    message: str
    case_id: str | None = None


@router.post("/referrals", response_model=ReferralOut, status_code=201)
async def create_referral(
    body: ReferralIn, user: CurrentUser, creation: Creation, key: IdempotencyKey = None
) -> ReferralOut:
    """Report one young person (a *droit au retour* request starts the 15-day legal clock)."""
    given = Identification(
        person=body.person.model_dump(exclude={"convocation_consent"}),
        source=body.source,
        identified_on=body.identified_on,
        convocation_consent=body.person.convocation_consent,
    )
    referral = await refer(creation, user, given, key)
    return ReferralOut(status=referral.status, message=referral.message, case_id=referral.case_id)


# ---------------------------------------------------------------- crossing notices


class CrossingOut(BaseModel):
    """An identification from elsewhere matched this case (no personal data, no sender)."""

    id: str
    case_id: str
    source: str
    identified_at: datetime
    created_at: datetime


@router.get("/crossings", response_model=list[CrossingOut])
async def list_crossings(
    request: Request,
    user: CurrentUser,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[CrossingOut]:
    """Coordinator: young people of the platform reported from another platform, to review."""
    notices = await open_crossings(request.app.state.sessions, user, limit, offset)
    return [CrossingOut.model_validate(n, from_attributes=True) for n in notices]


# ---------------------------------------------------------------- possible duplicates


class DuplicateOut(BaseModel):
    id: str
    status: str
    source: str
    identified_at: datetime
    import_id: str | None
    row_number: int | None
    candidate_case_ids: list[str]
    person: dict[str, Any]
    resolved_case_id: str | None


class MergeIn(Body):
    case_id: Annotated[str, Field(min_length=1, max_length=40)]


def duplicate_out(review: Any) -> DuplicateOut:
    return DuplicateOut(
        id=review.id,
        status=review.status,
        source=review.source,
        identified_at=review.identified_at,
        import_id=review.import_id,
        row_number=review.row_number,
        candidate_case_ids=review.candidate_case_ids,
        person=review.identity,
        resolved_case_id=review.resolved_case_id,
    )


@router.get("/duplicates", response_model=list[DuplicateOut])
async def list_duplicates(
    user: CurrentUser,
    service: Reviews,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[DuplicateOut]:
    """Coordinator: possible duplicates waiting for a decision (never merged silently)."""
    return [duplicate_out(r) for r in await service.open_reviews(user, limit, offset)]


@router.post("/duplicates/{review_id}/merge", response_model=DuplicateOut)
async def merge_duplicate(
    review_id: str, body: MergeIn, user: CurrentUser, service: Reviews
) -> DuplicateOut:
    """Same young person: the identification is appended to the chosen case."""
    return duplicate_out(await service.merge(user, review_id, body.case_id))


@router.post("/duplicates/{review_id}/keep-apart", response_model=DuplicateOut)
async def keep_duplicate_apart(review_id: str, user: CurrentUser, service: Reviews) -> DuplicateOut:
    """Different young people: a new case is created and routed."""
    return duplicate_out(await service.keep_apart(user, review_id))


# ---------------------------------------------------------------- bulk reassignment


class AssignManyIn(Body):
    case_ids: Annotated[
        list[Annotated[str, Field(max_length=40)]], Field(min_length=1, max_length=200)
    ]
    referent_id: Annotated[str, Field(min_length=1, max_length=40)]


class AssignedOut(BaseModel):
    case_id: str
    ok: bool
    result: StepOut | None = None
    error: str | None = None


@router.post("/cases/assign", response_model=list[AssignedOut])
async def assign_many(
    body: AssignManyIn, user: CurrentUser, cases: Cases, key: IdempotencyKey = None
) -> list[AssignedOut]:
    """Coordinator: assign many cases (e.g. the "to route" queue) to one référent."""
    done = await cases.assign_many(user, body.case_ids, body.referent_id, key)
    return [AssignedOut.model_validate(asdict(one)) for one in done]
