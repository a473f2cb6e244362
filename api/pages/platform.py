"""The coordinator's platform: the dashboard, and the platform's cases with bulk reassignment."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Form, Request
from fastapi.responses import HTMLResponse

from api.deps import CurrentUser, CurrentUserInfo, SessionDep
from api.errors import Invalid
from api.pages.forms import page_number
from api.pages.labels import deadline_label
from api.pages.routing import page_router
from api.pages.templating import render
from filrouge.core.clock import utcnow
from filrouge.core.domain import STAGE_LABELS, Stage
from filrouge.core.labels import ROUTING_GAP_LABELS
from filrouge.services.cases.dashboard import PlatformDashboard
from filrouge.services.cases.reading import CaseReader, WorklistQuery
from filrouge.services.cases.service import Assigned, CaseService

router = page_router()
PLATFORM_PATH = "/plateforme"
CASES_PATH = "/plateforme/dossiers"
PAGE_SIZE = 50
Short = Annotated[str, Form(max_length=40)]


@router.get(PLATFORM_PATH)
async def page_platform(request: Request, user: CurrentUser, session: SessionDep) -> HTMLResponse:
    """A coordinator's dashboard: what waits for them, counted, with links to the lists."""
    board = await PlatformDashboard(session).overview(user, utcnow())
    return render(request, "platform/dashboard.html", {"board": board, "cases_path": CASES_PATH})


@dataclass(frozen=True)
class CaseFilter:
    """The list's filters, as in its address (to bookmark, and to come back to after a form)."""

    etape: str = ""
    referent: str = ""
    en_retard: bool = False
    alerte: bool = False
    page: int = 1

    @property
    def stage(self) -> Stage | None:
        try:
            return Stage(self.etape) if self.etape else None
        except ValueError:
            return None

    def query(self, **changes: Any) -> str:
        """The address of this list with some filters changed (empty ones left out)."""
        values = {
            "etape": self.stage.value if self.stage else "",
            "referent": self.referent,
            "en_retard": "true" if self.en_retard else "",
            "alerte": "true" if self.alerte else "",
            "page": self.page if self.page > 1 else "",
        } | changes
        kept = {k: v for k, v in values.items() if v not in ("", None, 1)}
        return f"{CASES_PATH}?{urlencode(kept)}" if kept else CASES_PATH


async def _case_list(
    request: Request,
    user: CurrentUserInfo,
    session: SessionDep,
    chosen: CaseFilter,
    assigned: list[Assigned] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    now = utcnow()
    referents = await PlatformDashboard(session).referents(user, active_only=False)
    names = {r.id: r.name for r in referents}
    query = WorklistQuery(
        now=now,
        stage=chosen.stage,
        overdue=chosen.en_retard,
        referent_id=chosen.referent if chosen.referent in names else None,
        escalated=chosen.alerte,
        limit=PAGE_SIZE,
        offset=(chosen.page - 1) * PAGE_SIZE,
    )
    reader = CaseReader(session)
    cases, total = await reader.worklist(user, query)
    gaps = await reader.routing_gaps(cases)
    context = {
        "cases": cases,
        "total": total,
        "now": now,
        "chosen": chosen,
        "pages": max(1, -(-total // PAGE_SIZE)),
        "referents": referents,
        "referent_names": names,
        "routing_gaps": {case_id: ROUTING_GAP_LABELS[gap] for case_id, gap in gaps.items()},
        "stages": [(s.value, STAGE_LABELS[s]) for s in Stage],
        "stage_labels": STAGE_LABELS,
        "deadline_label": deadline_label,
        "assigned": assigned,
        "refused": [a for a in assigned or [] if not a.ok],
        "request_key": secrets.token_urlsafe(16),
        "cases_path": CASES_PATH,
    }
    return render(request, "platform/cases.html", context, block="results", status_code=status_code)


@router.get(CASES_PATH)
async def page_platform_cases(
    request: Request,
    user: CurrentUser,
    session: SessionDep,
    etape: str = "",
    referent: str = "",
    en_retard: bool = False,
    alerte: bool = False,
    page: str = "1",
) -> HTMLResponse:
    """The platform's cases, most urgent first, filtered by stage, référent, late, escalated."""
    chosen = CaseFilter(etape[:20], referent[:40], en_retard, alerte, page_number(page))
    return await _case_list(request, user, session, chosen)


@router.post(f"{CASES_PATH}/reattribuer")
async def page_reassign_cases(
    request: Request,
    user: CurrentUser,
    session: SessionDep,
    dossiers: Annotated[list[str], Form(max_length=PAGE_SIZE)] = [],  # noqa: B006 (FastAPI)
    nouveau_referent: Short = "",
    cle: Short = "",
    etape: Short = "",
    referent: Short = "",
    en_retard: Annotated[bool, Form()] = False,
    alerte: Annotated[bool, Form()] = False,
    page: Short = "1",
) -> HTMLResponse:
    """Assign the ticked cases to one référent (the API's bulk assignment, case by case)."""
    chosen = CaseFilter(etape, referent, en_retard, alerte, page_number(page))
    if not dossiers or not nouveau_referent:
        return await _missing_choice(request, user, session, chosen, bool(dossiers))
    service: CaseService = request.app.state.case_service
    ids = [d[:40] for d in dossiers]
    try:
        done = await service.assign_many(user, ids, nouveau_referent, cle or None)
    except Invalid as refused:  # not an active référent of the platform
        failure = [Assigned("", ok=False, error=refused.message)]
        return await _case_list(request, user, session, chosen, failure, status_code=422)
    return await _case_list(request, user, session, chosen, done)


async def _missing_choice(
    request: Request, user: CurrentUserInfo, session: SessionDep, chosen: CaseFilter, ticked: bool
) -> HTMLResponse:
    message = "Choisissez le référent." if ticked else "Cochez au moins un dossier."
    failure = [Assigned("", ok=False, error=message)]
    return await _case_list(request, user, session, chosen, failure, status_code=422)
