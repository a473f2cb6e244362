"""The home page, which sends each role to its start page, and those start pages.

« Mes dossiers » lives in `cases.py`, « Ma plateforme » in `platform.py`; the others say
they are being built.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse

from api.deps import CurrentUser
from api.pages.navigation import start_page
from api.pages.routing import HOME_PATH, page_router
from api.pages.templating import render

router = page_router()


@router.get(HOME_PATH)
async def page_home(user: CurrentUser) -> RedirectResponse:
    """Send each person to the start page of their role."""
    return RedirectResponse(start_page(user.role), status_code=303)


def _placeholder(request: Request, heading: str, text: str) -> HTMLResponse:
    return render(request, "placeholder.html", {"heading": heading, "text": text})


@router.get("/signalements")
async def page_referrals(request: Request, user: CurrentUser) -> HTMLResponse:
    """A partner's start page (being built)."""
    text = "Le signalement d’un jeune par formulaire arrive bientôt."
    return _placeholder(request, "Signalements", text)
