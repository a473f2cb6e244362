"""Data-subject rights: access (JSON and printable export), rectification and erasure."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse
from jinja2.sandbox import SandboxedEnvironment
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.access import CaseAccess, case_access, readable
from api.case_service import case_out
from api.cases import get_case_service
from api.deps import CurrentUser, CurrentUserInfo, SessionDep
from api.errors import Conflict, Forbidden
from api.schemas import (
    CaseExportOut,
    ErasureOut,
    EventOut,
    NoteOut,
    PersonIn,
    PersonOut,
    PersonPatchIn,
    RectificationOut,
)
from filrouge.core.cases.pathway import AuditEvent as NewEvent
from filrouge.core.cases.steps import CloseCaseInput
from filrouge.core.clock import utcnow
from filrouge.core.domain import Outcome
from filrouge.core.retention import ErasePersonalDataInput, obligation_running
from filrouge.mail.mailer import TEMPLATES_DIR, build_environment
from filrouge.services.retention.erasure import erase_case
from filrouge.store.access_log import AccessLogRepository
from filrouge.store.audit_repository import AuditRepository
from filrouge.store.engine import transaction
from filrouge.store.models import Case
from filrouge.store.notes import NoteRepository
from filrouge.store.repositories import CaseRepository
from workflows.case import CaseWorkflow

router = APIRouter(prefix="/cases", tags=["droits des personnes"])
ERASURE_REASON = "effacement à la demande"


def get_export_templates(request: Request) -> SandboxedEnvironment:
    """The sandboxed, autoescaped environment of the export page, built once per app."""
    env = getattr(request.app.state, "export_templates", None)
    if env is None:
        env = build_environment(TEMPLATES_DIR.parent / "export")
        request.app.state.export_templates = env
    return env  # type: ignore[no-any-return]


Templates = Annotated[SandboxedEnvironment, Depends(get_export_templates)]


async def _export(session: AsyncSession, user: CurrentUserInfo, case_id: str, view: str) -> Any:
    case = readable(user, await CaseRepository(session).get(case_id))
    assert user.platform_id is not None
    AccessLogRepository(session).record(case, user.id, user.role.value, view)
    history = await AuditRepository(session).history(case.id)
    notes = await NoteRepository(session).visible(case.id, user.platform_id)
    return CaseExportOut(
        exported_at=utcnow(),
        case=case_out(case, with_person=False),
        person=PersonOut.model_validate(case.identity) if case.identity else None,
        history=[EventOut.model_validate(e) for e in history],
        notes=[NoteOut.model_validate(n) for n in notes],
    )


@router.get("/{case_id}/export", response_model=CaseExportOut)
async def export_case(case_id: str, user: CurrentUser, session: SessionDep) -> Any:
    """Right of access: the young person's complete file (the read is logged)."""
    return await _export(session, user, case_id, "export")


@router.get("/{case_id}/export.html", response_class=HTMLResponse)
async def export_case_html(
    case_id: str, user: CurrentUser, session: SessionDep, templates: Templates
) -> HTMLResponse:
    """Right of access: the same file as a printable French page."""
    export = await _export(session, user, case_id, "export_html")
    html = templates.get_template("case.html.j2").render(export=export)
    return HTMLResponse(html, headers={"Cache-Control": "no-store"})


@router.patch("/{case_id}/person", response_model=RectificationOut)
async def rectify_person(
    case_id: str, body: PersonPatchIn, user: CurrentUser, session: SessionDep
) -> RectificationOut:
    """Rectification by the coordinator or the assigned référent; the audit log lists the
    changed field names, never their values."""
    audit = AuditRepository(session)
    case = readable(user, await audit.lock_case(case_id))
    if case_access(user, case) != CaseAccess.ACT:
        raise Forbidden("Seuls le coordinateur et le référent du dossier peuvent le rectifier.")
    if case.identity is None:
        raise Conflict("Les données personnelles de ce dossier ont été effacées.")
    current = PersonOut.model_validate(case.identity).model_dump()
    try:
        person = PersonIn.model_validate(current | body.model_dump(exclude_unset=True))
    except ValidationError as exc:
        raise RequestValidationError(
            [e | {"loc": ("body", *e["loc"])} for e in exc.errors()]
        ) from exc
    changed = sorted(k for k, v in person.model_dump().items() if current.get(k) != v)
    for name in changed:
        setattr(case.identity, name, getattr(person, name))
    if changed:
        event = NewEvent(
            key=f"rectification:{uuid.uuid4().hex}",
            kind="person_rectified",
            data={"fields": changed},
            actor_id=user.id,
            actor_role=user.role.value,
            at=utcnow(),
        )
        await audit.append(case, [event])
    return RectificationOut(
        case_id=case.id, changed_fields=changed, person=PersonOut.model_validate(person)
    )


async def _check_erasable(
    sessions: async_sessionmaker[AsyncSession], user: CurrentUserInfo, case_id: str
) -> Case:
    async with transaction(sessions) as session:
        case = readable(user, await CaseRepository(session).get(case_id))
        history = await AuditRepository(session).history(case.id)
        birth_date = case.identity.birth_date if case.identity else None
    until = obligation_running(
        ((e.kind, e.data or {}) for e in history), birth_date, utcnow().date()
    )
    if until is not None:
        raise Conflict(
            "Effacement impossible pour l'instant : le jeune est mineur et convoqué au titre de "
            "l'obligation de formation (délai légal en cours jusqu'à ses 18 ans, le "
            f"{until:%d/%m/%Y}). Le dossier doit être conservé jusque-là."
        )
    return case


@router.post("/{case_id}/erase", response_model=ErasureOut)
async def erase_on_request(case_id: str, user: CurrentUser, request: Request) -> ErasureOut:
    """Erasure on request (coordinator): closes the case if open, then erases its personal
    data and deletes its Temporal history; refused while a legal deadline is running."""
    sessions = request.app.state.sessions
    case = await _check_erasable(sessions, user, case_id)
    closed = case.stage != "cloture"
    if closed:
        step = CloseCaseInput(user.actor, Outcome.AUTRE, ERASURE_REASON)
        service = get_case_service(request)
        await service.run_step(user, case_id, CaseWorkflow.close_case, step, f"erase-{case_id}")
    done = await erase_case(
        sessions,
        request.app.state.temporal,
        ErasePersonalDataInput(case_id, "request", user.id, user.role.value),
    )
    return ErasureOut(
        case_id=case_id,
        closed=closed,
        erased=done.erased,
        history_deleted=done.history_deleted,
        message="Les données personnelles du jeune ont été effacées ; les statistiques restent.",
    )
