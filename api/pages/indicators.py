"""« Indicateurs »: the regional pilot's counts per platform of their Région, with charts.

Counts only, computed by the same service as `GET /indicators`: never a name, a case id or
a link to a case.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from api.deps import CurrentUser, SessionDep
from api.pages.charts import BarChart, bar_chart
from api.pages.routing import page_router
from api.pages.templating import render
from filrouge.core.domain import STAGE_LABELS, Stage
from filrouge.services.indicators import IndicatorReport, indicators_for

router = page_router()
INDICATORS_PATH = "/indicateurs"

# The pathway's milestones, in order: (indicator key, French words).
MILESTONES = (
    ("identified", "Repérés"),
    ("reached", "Joints"),
    ("interviewed", "Reçus en bilan-positionnement"),
    ("in_solution", "Entrés en solution"),
    ("maintained_6_months", "Maintenus en solution à 6 mois"),
)
DELAYS = (
    ("identification_to_first_contact", "Du repérage à la première tentative de contact"),
    ("first_contact_to_interview", "De la première tentative au bilan"),
    ("interview_to_solution", "Du bilan à l’entrée en solution"),
    ("identification_to_solution", "Du repérage à l’entrée en solution"),
)


def french_number(value: float | None, digits: int = 1) -> str:
    """'4,5' ('—' when there is no value)."""
    if value is None:
        return "—"
    return f"{value:.{digits}f}".replace(".", ",")


def percent(rate: float | None) -> str:
    """'12,5 %' ('—' when there are no cases)."""
    return "—" if rate is None else f"{french_number(rate * 100)}\u202f%"


def days(value: float | None) -> str:
    """'4,5 jours' ('—' when nothing was measured)."""
    return "—" if value is None else f"{french_number(value)}\u00a0jours"


def charts(report: IndicatorReport) -> list[BarChart]:
    """The pathway of the Région, its open cases by stage, and the young people per platform."""
    total = report.total
    funnel = [(label, int(total[key])) for key, label in MILESTONES]
    stages = [
        (STAGE_LABELS[s].capitalize(), int(total["by_stage"].get(s.value, 0)))
        for s in Stage
        if s != Stage.CLOTURE
    ]
    found = [(report.names[p["platform_id"]], int(p["identified"])) for p in report.platforms]
    return [
        bar_chart("parcours", "Le parcours des jeunes repérés", "Étape", funnel, "jeune"),
        bar_chart("etapes", "Dossiers ouverts par étape", "Étape", stages, "dossier"),
        bar_chart("plateformes", "Jeunes repérés par plateforme", "Plateforme", found, "jeune"),
    ]


def _context(report: IndicatorReport, selected: str) -> dict[str, Any]:
    return {
        "report": report,
        "selected": selected,
        "charts": charts(report),
        "milestones": MILESTONES,
        "delays": DELAYS,
        "percent": percent,
        "days": days,
    }


@router.get(INDICATORS_PATH)
async def page_indicators(
    request: Request, user: CurrentUser, session: SessionDep, plateforme: str = ""
) -> HTMLResponse:
    """The counts of the pilot's Région, all platforms or one (a platform elsewhere: 404)."""
    selected = plateforme.strip()[:40]
    report = await indicators_for(session, user, selected or None)
    return render(request, "indicators.html", _context(report, selected), block="results")
