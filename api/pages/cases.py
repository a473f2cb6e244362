"""« Mes dossiers »: a référent's cases, most urgent first, with filters and a search."""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import HTMLResponse

from api.deps import CurrentUser, CurrentUserInfo, SessionDep
from api.pages import services
from api.pages.labels import deadline_label
from api.pages.routing import page_router
from api.pages.templating import render
from filrouge.core.clock import utcnow
from filrouge.core.domain import STAGE_LABELS, Stage

router = page_router()
MY_CASES_PATH = "/mes-dossiers"
PAGE_SIZE = 50
FormText = Annotated[str, Form(max_length=100)]


def _stage(value: str) -> Stage | None:
    try:
        return Stage(value) if value else None
    except ValueError:
        return None


async def _worklist(
    request: Request,
    user: CurrentUserInfo,
    session: SessionDep,
    etape: str,
    overdue: bool,
    text: str,
) -> HTMLResponse:
    now, stage, text = utcnow(), _stage(etape), text.strip()[:100]
    query = services.WorklistQuery(
        now=now, stage=stage, overdue=overdue, text=text, limit=PAGE_SIZE
    )
    cases, total = await services.worklist(session, user, query)
    context = {
        "cases": cases,
        "total": total,
        "now": now,
        "stage": stage.value if stage else "",
        "overdue": overdue,
        "text": text,
        "stages": [(s.value, STAGE_LABELS[s]) for s in Stage],
        "stage_labels": STAGE_LABELS,
        "deadline_label": deadline_label,
    }
    return render(request, "my_cases.html", context, block="results")


@router.get(MY_CASES_PATH)
async def page_my_cases(
    request: Request,
    user: CurrentUser,
    session: SessionDep,
    etape: str = "",
    en_retard: bool = False,
) -> HTMLResponse:
    """A référent's cases by urgency, filtered by stage and overdue (addresses to bookmark)."""
    return await _worklist(request, user, session, etape, en_retard, "")


@router.post(MY_CASES_PATH)
async def page_search_my_cases(
    request: Request,
    user: CurrentUser,
    session: SessionDep,
    etape: FormText = "",
    en_retard: Annotated[bool, Form()] = False,
    recherche: FormText = "",
) -> HTMLResponse:
    """The same list searched by name or INE: posted, so no name or INE is ever in an address
    (nor in the server's access log); htmx gets only the results."""
    return await _worklist(request, user, session, etape, en_retard, recherche)
