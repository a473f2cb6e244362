"""The platform's access log: who read which young person's file, when, and how."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse

from api.deps import CurrentUser, SessionDep
from api.pages.labels import view_label
from api.pages.navigation import ROLE_LABELS
from api.pages.routing import page_router
from api.pages.templating import render
from filrouge.services.access.log import AccessLogReader
from filrouge.services.cases.reading import CaseReader

router = page_router()
JOURNAL_PATH = "/plateforme/journal"
PAGE_SIZE = 100


@router.get(JOURNAL_PATH)
async def page_access_log(
    request: Request, user: CurrentUser, session: SessionDep, page: str = "1"
) -> HTMLResponse:
    """Every read of personal data on the coordinator's platform, newest first, 100 a page."""
    number = int(page) if page.isdigit() and 0 < int(page) < 100_000 else 1
    offset = (number - 1) * PAGE_SIZE
    rows, total = await AccessLogReader(session).platform(user, PAGE_SIZE, offset)
    names = {u.id: u.display_name for u in await CaseReader(session).colleagues(user)}
    context = {
        "rows": rows,
        "total": total,
        "page": number,
        "pages": max(1, -(-total // PAGE_SIZE)),
        "names": names,
        "roles": {r.value: label for r, label in ROLE_LABELS.items()},
        "view_label": view_label,
        "journal_path": JOURNAL_PATH,
    }
    return render(request, "platform/journal.html", context)
