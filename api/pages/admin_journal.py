"""« Journal »: the credential actions, newest first (who did what to whose account, and
when), for every account or one, through the same service as `GET /admin/audit`."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from api.deps import CurrentUser, SessionDep
from api.pages.admin import ADMIN_PATH
from api.pages.navigation import ROLE_LABELS
from api.pages.routing import page_router
from api.pages.templating import render
from filrouge.core.domain import Role
from filrouge.services.auth.audit import ACTION_LABELS, Action, credential_actions
from filrouge.services.reference.admin import ReferenceService

router = page_router()
JOURNAL_PATH = f"{ADMIN_PATH}/journal"
JOURNAL_PAGE = 50


def _action_label(value: str) -> str:
    try:
        label = ACTION_LABELS[Action(value)]
    except (KeyError, ValueError):
        return value
    return label[0].upper() + label[1:]


def _details(event: Any, platforms: dict[str, str]) -> str:
    details = event.details or {}
    parts = []
    if details.get("role") in set(Role):
        parts.append(f"rôle {ROLE_LABELS[Role(details['role'])]}")
    if details.get("platform_id"):
        pid = details["platform_id"]
        parts.append(f"plateforme {platforms.get(pid, pid)}")
    if details.get("reason"):
        parts.append(f"motif : {details['reason']}")
    return ", ".join(parts) or "—"


async def journal_rows(
    session: SessionDep, user_id: str | None, limit: int, offset: int = 0
) -> list[dict[str, Any]]:
    """The actions on one account (or all), newest first, in words."""
    events = await credential_actions(session, user_id, limit, offset)
    service = ReferenceService(session)
    named = {e.actor_id for e in events if e.actor_id} | {
        e.target_user_id for e in events if e.target_user_id
    }
    names = await service.user_names(named)
    platforms = await service.platform_names(
        str(e.details["platform_id"]) for e in events if (e.details or {}).get("platform_id")
    )
    return [
        {
            "at": e.at,
            "actor": names.get(e.actor_id, e.actor_id) if e.actor_id else "ligne de commande",
            "action": _action_label(e.action),
            "target": names.get(e.target_user_id or "", e.target_user_id or "—"),
            "details": _details(e, platforms),
        }
        for e in events
    ]


@router.get(JOURNAL_PATH)
async def page_admin_journal(
    request: Request, user: CurrentUser, session: SessionDep, page: int = 1
) -> HTMLResponse:
    """The credential actions, newest first: who did what to whose account, and when."""
    page = min(max(page, 1), 10_000)
    rows = await journal_rows(session, None, JOURNAL_PAGE + 1, (page - 1) * JOURNAL_PAGE)
    context = {"rows": rows[:JOURNAL_PAGE], "page": page, "more": len(rows) > JOURNAL_PAGE}
    return render(request, "admin_journal.html", context)
