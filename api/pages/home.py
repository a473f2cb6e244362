"""The home page, which sends each role to its start page (« Mes dossiers » in `cases.py`,
« Ma plateforme » in `platform.py`, « Indicateurs » in `indicators.py`, « Signalements » in
`referrals.py`, « Administration » in `admin.py`)."""

from __future__ import annotations

from fastapi.responses import RedirectResponse

from api.deps import CurrentUser
from api.pages.navigation import start_page
from api.pages.routing import HOME_PATH, page_router

router = page_router()


@router.get(HOME_PATH)
async def page_home(user: CurrentUser) -> RedirectResponse:
    """Send each person to the start page of their role."""
    return RedirectResponse(start_page(user.role), status_code=303)
