"""Data-subject rights: access (JSON and printable export), rectification and erasure."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from jinja2.sandbox import SandboxedEnvironment
from sqlalchemy.ext.asyncio import AsyncSession

from api.cases import case_out
from api.deps import CurrentUser, CurrentUserInfo, SessionDep, TemporalDep
from api.schemas import (
    CaseExportOut,
    ErasureOut,
    EventOut,
    NoteOut,
    PersonOut,
    PersonPatchIn,
    RectificationOut,
)
from filrouge.core.domain import Outcome, Source, Stage
from filrouge.core.identity import LABELS as IDENTITY_LABELS
from filrouge.core.labels import label_of
from filrouge.mail.mailer import TEMPLATES_DIR, build_environment
from filrouge.services.rights.requests import ErasureOnRequest, export, rectify

router = APIRouter(prefix="/cases", tags=["droits des personnes"])


def get_export_templates(request: Request) -> SandboxedEnvironment:
    """The sandboxed, autoescaped environment of the export page, built once per app."""
    env = getattr(request.app.state, "export_templates", None)
    if env is None:
        env = build_environment(TEMPLATES_DIR.parent / "export")
        env.filters["stage_fr"] = lambda code: label_of(Stage, code)
        env.filters["source_fr"] = lambda code: label_of(Source, code)
        env.filters["outcome_fr"] = lambda code: label_of(Outcome, code)
        request.app.state.export_templates = env
    return env  # type: ignore[no-any-return]


def get_erasure(request: Request) -> ErasureOnRequest:
    return request.app.state.erasure_on_request  # type: ignore[no-any-return]


Erasures = Annotated[ErasureOnRequest, Depends(get_erasure)]


async def _export(session: AsyncSession, user: CurrentUserInfo, case_id: str, view: str) -> Any:
    done = await export(session, user, case_id, view)
    return CaseExportOut(
        exported_at=done.exported_at,
        case=case_out(done.case, with_person=False),
        person=PersonOut.model_validate(done.person) if done.person else None,
        history=[EventOut.model_validate(e) for e in done.history],
        notes=[NoteOut.model_validate(n) for n in done.notes],
    )


@router.get("/{case_id}/export", response_model=CaseExportOut)
async def export_case(case_id: str, user: CurrentUser, session: SessionDep) -> Any:
    """Right of access: the young person's complete file (the read is logged)."""
    return await _export(session, user, case_id, "export")


async def export_document(
    request: Request, session: AsyncSession, user: CurrentUserInfo, case_id: str, view: str
) -> str:
    """The complete file as a printable French page (the read is logged under `view`): words,
    not codes; dates in the platform's time zone."""
    done = await export(session, user, case_id, view)
    page = get_export_templates(request).get_template("case.html.j2")
    return page.render(export=done, time_zone=done.time_zone, labels=IDENTITY_LABELS)  # type: ignore[no-any-return]


@router.get("/{case_id}/export.html", response_class=HTMLResponse)
async def export_case_html(
    case_id: str, user: CurrentUser, session: SessionDep, request: Request
) -> HTMLResponse:
    """Right of access: the same file as a printable French page."""
    html = await export_document(request, session, user, case_id, "export_html")
    return HTMLResponse(html, headers={"Cache-Control": "no-store"})


@router.patch("/{case_id}/person", response_model=RectificationOut)
async def rectify_person(
    case_id: str, body: PersonPatchIn, user: CurrentUser, session: SessionDep, temporal: TemporalDep
) -> RectificationOut:
    """Rectification by the coordinator or the assigned référent; the audit log lists the
    changed field names, never their values."""
    changes = body.model_dump(exclude_unset=True)
    done = await rectify(session, temporal, user, case_id, changes)
    return RectificationOut(
        case_id=done.case_id,
        changed_fields=done.changed_fields,
        person=PersonOut.model_validate(done.person),
    )


@router.post("/{case_id}/erase", response_model=ErasureOut)
async def erase_on_request(case_id: str, user: CurrentUser, erasures: Erasures) -> ErasureOut:
    """Erasure on request (coordinator): closes the case if open, then erases its personal
    data and deletes its Temporal history; refused while a legal deadline is running."""
    done = await erasures.erase(user, case_id)
    return ErasureOut(
        case_id=done.case_id,
        closed=done.closed,
        erased=done.erased,
        history_deleted=done.history_deleted,
        list_rows_removed=done.list_rows,
        message="Les données personnelles du jeune ont été effacées ; les statistiques restent.",
    )
