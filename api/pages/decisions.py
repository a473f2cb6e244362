"""The decision queue: each proposal waiting for the coordinator, decided in place with the
step's own form (`api/pages/steps.py`): valider, demander une modification, réunion."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from api.deps import CurrentUser, CurrentUserInfo, SessionDep
from api.pages import services, steps
from api.pages.forms import page_number
from api.pages.labels import choice_label
from api.pages.routing import page_router
from api.pages.templating import page_zone, render
from filrouge.core.cases.steps import DECIDE
from filrouge.core.clock import utcnow
from filrouge.core.domain import Decision, SolutionType
from filrouge.core.local_time import french_date
from filrouge.services.cases.dashboard import PlatformDashboard
from filrouge.services.cases.decisions import DecisionQueue

router = page_router()
DECISIONS_PATH = "/plateforme/decisions"
QUEUE = "#file-decisions"  # what a decision's form replaces: the whole queue, notice on top
SHOWN = 20


def _form(case_id: str, page: int) -> steps.StepForm:
    """A case's decision form; the queue comes back at the same page once it is decided."""
    action = f"{DECISIONS_PATH}/{case_id}" + (f"?page={page}" if page > 1 else "")
    return steps.step_form(DECIDE, action, QUEUE, scope=case_id)


def _start_day(value: Any) -> str:
    """A proposed start date, kept in the history as ISO text, in French."""
    try:
        return french_date(date.fromisoformat(str(value)))
    except ValueError:
        return str(value)


async def _queue(
    request: Request,
    user: CurrentUserInfo,
    session: SessionDep,
    notice: str | None = None,
    failed: tuple[str, steps.StepForm] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    page, queue = page_number(request.query_params.get("page", "")), DecisionQueue(session)
    pending, total = await queue.page(user, utcnow(), SHOWN, (page - 1) * SHOWN)
    if not pending and page > 1:  # the last ones of the last page were decided
        page = max(1, -(-total // SHOWN))
        pending, total = await queue.page(user, utcnow(), SHOWN, (page - 1) * SHOWN)
    forms = {p.case.id: _form(p.case.id, page) for p in pending}
    if failed and failed[0] in forms:
        forms[failed[0]] = failed[1]
    referents = await PlatformDashboard(session).referents(user, active_only=False)
    context: dict[str, Any] = {
        "pending": pending,
        "total": total,
        "page": page,
        "more": page * SHOWN < total,
        "first": (page - 1) * SHOWN + 1,
        "forms": forms,
        "referent_names": {r.id: r.name for r in referents},
        "solution_label": lambda value: choice_label(SolutionType, str(value)),
        "start_day": _start_day,
        "now": utcnow(),
        "notice": notice,
        "refusal": failed[1].error if failed and failed[0] not in forms else None,
        "decisions_path": DECISIONS_PATH,
    }
    return render(
        request, "platform/decisions.html", context, block="queue", status_code=status_code
    )


@router.get(DECISIONS_PATH)
async def page_decisions(request: Request, user: CurrentUser, session: SessionDep) -> HTMLResponse:
    """The platform's proposals waiting for a decision, the longest waiting first."""
    return await _queue(request, user, session)


@router.post(f"{DECISIONS_PATH}/{{case_id}}")
async def page_decide(
    case_id: str, request: Request, user: CurrentUser, session: SessionDep
) -> HTMLResponse:
    """Record the coordinator's decision on one case (the API's step, checked the same way);
    the queue comes back with the decision told, or the form with its French refusal."""
    data, case_id = await request.form(), case_id[:40]
    page = page_number(request.query_params.get("page", ""))
    form, service = _form(case_id, page), services.case_service(request)
    try:
        await steps.submit(service, user, case_id, form, data, page_zone(request))
    except steps.StepRefused as refused:
        failed = steps.refused_form(form, refused, data)
        return await _queue(request, user, session, None, (case_id, failed), refused.status_code)
    decision = str(data.get("decision", ""))
    said = choice_label(Decision, decision) if decision in set(Decision) else decision
    notice = f"Décision enregistrée pour le dossier {case_id} : {said}."
    return await _queue(request, user, session, notice)
