"""The case page: who the young person is, the stage and what is due, the steps allowed now,
the history in plain French, the notes, and the person's rights (access, rectification).

Every part reads and writes through the services the API calls (`api/pages/services.py`); a
case the user may not read answers 404, as `GET /cases/{id}` does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

from fastapi import Form, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError

from api.deps import CurrentUser, CurrentUserInfo, SessionDep
from api.errors import Conflict, Forbidden, Invalid, NotFound, validation_details
from api.pages import services, steps
from api.pages.labels import deadline_label
from api.pages.routing import page_router
from api.pages.templating import is_htmx, page_zone, render
from api.schemas import NOTE_WARNING, NoteIn, PersonOut, PersonPatchIn
from filrouge.core.cases.history import timeline
from filrouge.core.clock import utcnow
from filrouge.core.domain import OUTCOME_LABELS, STAGE_LABELS, Outcome, Role, Stage
from filrouge.core.identity import IDENTITY_FIELDS
from filrouge.services.access.cases import CaseAccess

router = page_router()
CASE_PATH = "/dossiers/{case_id}"
TRACK = "#suivi"  # what a step's form replaces: the stage, the steps allowed now, the history
SAVED = "Enregistré : « {} »."
NoteText = Annotated[str, Form(max_length=4000)]


def case_path(case_id: str) -> str:
    """The address of a case's page."""
    return f"/dossiers/{case_id}"


async def _options(session: SessionDep, user: CurrentUserInfo) -> dict[str, list[steps.Choice]]:
    return _referents(await services.colleagues(session, user))


def _referents(people: list[Any]) -> dict[str, list[steps.Choice]]:
    """The choices of an assignment: the platform's active référents."""
    referents = [u for u in people if u.role == Role.REFERENT and u.active]
    return {"referent_id": [steps.Choice(u.id, u.display_name) for u in referents]}


async def _context(
    request: Request,
    user: CurrentUserInfo,
    session: SessionDep,
    case_id: str,
    failed: steps.StepForm | None = None,
    **values: Any,
) -> dict[str, Any]:
    file = await services.case_file(session, user, case_id)
    case, path = file.case, case_path(case_id)
    people = await services.colleagues(session, user)
    names = {u.id: u.display_name for u in people}
    options = _referents(people)
    forms = [
        failed if failed and failed.name == d.update else
        steps.step_form(d, f"{path}/etapes/{d.update}", TRACK, options=options)
        for d in await services.allowed_steps(request, user, case)
    ]  # fmt: skip
    if failed and all(f.name != failed.name for f in forms):
        forms.insert(0, failed)  # no longer allowed: shown with its refusal
    acting = services.access(user, case) == CaseAccess.ACT
    return {
        "case": case,
        "path": path,
        "now": utcnow(),
        "person": _person(case.identity),
        "person_values": _person_values(case.identity),
        "person_errors": {},
        "person_error": None,
        "person_notice": None,
        "referent_name": names.get(case.referent_id or "", None),
        "stage_label": STAGE_LABELS[Stage(case.stage)],
        "outcome_label": OUTCOME_LABELS.get(Outcome(case.outcome)) if case.outcome else None,
        "deadline": deadline_label(case.next_deadline_kind),
        "forms": forms,
        "acting": acting,
        "can_export": user.role == Role.COORDINATEUR,
        "timeline": timeline(file.history, names, page_zone(request)),
        "verification": file.verification,
        "notes": file.notes,
        "note_names": names,
        "note_warning": NOTE_WARNING,
        "note_text": "",
        "note_error": None,
        "note_notice": None,
        "notice": None,
        "identity_fields": IDENTITY_INPUTS,
        "full_name": _full_name(case),
    } | values


@dataclass(frozen=True)
class IdentityInput:
    """A field of the rectification form."""

    name: str
    label: str
    kind: str  # text, date, bool
    max_length: int | None


IDENTITY_INPUTS = [
    IdentityInput(
        f.name, f.label, f.type.__name__ if f.type in (date, bool) else "text", f.max_length
    )
    for f in IDENTITY_FIELDS
]


def _full_name(case: Any) -> str:
    identity = case.identity
    if identity is None or not identity.last_name:
        return f"Dossier {case.id}"
    return f"{identity.last_name.upper()} {identity.first_name or ''}".strip()


def _person(identity: Any) -> list[tuple[str, Any]]:
    """What the page shows of the young person: the API's PersonOut, field by field."""
    if identity is None:
        return []
    person = PersonOut.model_validate(identity)
    shown = [(f.label, getattr(person, f.name)) for f in IDENTITY_FIELDS]
    return [(label, value) for label, value in shown if value not in (None, "")]


def _person_values(identity: Any) -> dict[str, str]:
    if identity is None:
        return {}
    values = {}
    for f in IDENTITY_FIELDS:
        value = getattr(identity, f.name)
        values[f.name] = "true" if value is True else "" if value in (None, False) else str(value)
    return values


@router.get(CASE_PATH)
async def page_case(
    case_id: str, request: Request, user: CurrentUser, session: SessionDep, enregistre: str = ""
) -> HTMLResponse:
    """The case page (404 for a case the user may not read, as the API answers)."""
    done = steps.declaration(enregistre)
    notice = SAVED.format(steps.step_form(done, "", "").title) if done else None
    context = await _context(request, user, session, case_id, notice=notice)
    return render(request, "case.html", context)


@router.post(CASE_PATH + "/etapes/{step}")
async def page_case_step(
    case_id: str, step: str, request: Request, user: CurrentUser, session: SessionDep
) -> Response:
    """Record a step from its form; htmx gets the stage, the steps and the history in place,
    or the form with its French refusal (a plain POST gets the page, or goes back to it)."""
    declaration = steps.declaration(step)
    if declaration is None:
        raise NotFound("Action inconnue.")
    data = await request.form()
    form = steps.step_form(declaration, f"{case_path(case_id)}/etapes/{step}", TRACK)
    service, zone = services.case_service(request), page_zone(request)
    try:
        await steps.submit(service, user, case_id, form, data, zone)
    except steps.StepRefused as refused:
        form = steps.step_form(
            declaration, form.action, TRACK, options=await _options(session, user)
        )
        failed = steps.refused_form(form, refused, data)
        context = await _context(request, user, session, case_id, failed=failed)
        status = refused.status_code
        return render(request, "case.html", context, block="track", status_code=status)
    if not is_htmx(request):
        return RedirectResponse(f"{case_path(case_id)}?enregistre={step}#suivi", status_code=303)
    context = await _context(request, user, session, case_id, notice=SAVED.format(form.title))
    return render(request, "case.html", context, block="track")


@router.post(CASE_PATH + "/notes")
async def page_case_note(
    case_id: str, request: Request, user: CurrentUser, session: SessionDep, texte: NoteText = ""
) -> Response:
    """Add a note (kept inside the platform); htmx gets the notes in place."""
    error, status = None, 200
    try:
        note = NoteIn.model_validate({"text": texte})
    except ValidationError as exc:
        error, status = _note_error(validation_details(exc.errors())), 422
    else:
        await services.add_note(session, user, case_id, note.text)
        if not is_htmx(request):
            return RedirectResponse(f"{case_path(case_id)}#notes", status_code=303)
    values: dict[str, Any] = {"note_error": error, "note_text": texte if error else ""}
    values["note_notice"] = None if error else "Note ajoutée."
    context = await _context(request, user, session, case_id, **values)
    return render(request, "case.html", context, block="notes", status_code=status)


def _note_error(details: list[dict[str, str]]) -> str:
    return steps.field_message(details[0]["message"] if details else "note invalide")


@router.post(CASE_PATH + "/rectification")
async def page_case_rectify(
    case_id: str, request: Request, user: CurrentUser, session: SessionDep
) -> Response:
    """Right of rectification: the fields changed are checked like a creation; htmx gets the
    identity in place, with the errors by their field."""
    data = await request.form()
    file = await services.case_file(session, user, case_id)
    current = _person_values(file.case.identity)
    posted = {f.name: str(data.get(f.name, "")).strip() for f in IDENTITY_FIELDS}
    posted["convocation_consent"] = "true" if data.get("convocation_consent") else ""
    changes: dict[str, Any] = {k: (v or None) for k, v in posted.items() if v != current.get(k, "")}
    if "convocation_consent" in changes:
        changes["convocation_consent"] = bool(changes["convocation_consent"])
    errors: dict[str, str] = {}
    message, notice, status = None, None, 200
    try:
        body = PersonPatchIn.model_validate(changes)
        wanted = body.model_dump(exclude_unset=True)
        done = await services.rectify_person(request, session, user, case_id, wanted)
        notice = _rectified(done.changed_fields)
    except ValidationError as exc:
        details = validation_details(exc.errors())
        errors = {d["field"]: steps.field_message(d["message"]) for d in details}
        message, status = "Rectification refusée : corrigez les champs signalés.", 422
    except (Invalid, Conflict, Forbidden) as exc:
        message, status = exc.message, 403 if isinstance(exc, Forbidden) else 422
    if not is_htmx(request) and status == 200:
        return RedirectResponse(f"{case_path(case_id)}#identite", status_code=303)
    values: dict[str, Any] = {"person_errors": errors, "person_error": message}
    values["person_notice"] = notice
    if status != 200:
        values["person_values"] = posted
    context = await _context(request, user, session, case_id, **values)
    return render(request, "case.html", context, block="identity", status_code=status)


def _rectified(fields: list[str]) -> str:
    if not fields:
        return "Aucune donnée n’a changé."
    labels = {f.name: f.label for f in IDENTITY_FIELDS}
    return "Données rectifiées : " + ", ".join(labels.get(f, f) for f in fields) + "."


@router.get(CASE_PATH + "/export")
async def page_case_export(
    case_id: str, request: Request, user: CurrentUser, session: SessionDep
) -> Response:
    """Right of access: the young person's complete file, downloaded as a printable page."""
    html = await services.export_file(request, session, user, case_id)
    headers = {
        "Content-Disposition": f'attachment; filename="dossier-{case_id}.html"',
        "Cache-Control": "no-store",
    }
    return HTMLResponse(html, headers=headers)
