"""« Indicateurs »: the regional pilot's counts per platform of their Région, with charts."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest

from tests.api.conftest import Team
from tests.pages.conftest import Account, Site, assert_accessible, screenshot
from tests.pages.test_pages_http import _log_in


async def _region_with_cases(site: Site) -> tuple[Account, list[Team], Team, list[str]]:
    """A Région of the test's own with two platforms (two cases, one case), a platform of
    another Région (one case), and a pilot of the first Région."""
    region = f"Région {uuid.uuid4().hex[:6]}"
    north = await site.api.team(region=region, name=f"PSAD Nord {region}")
    south = await site.api.team(region=region, name=f"PSAD Sud {region}")
    elsewhere = await site.api.team(region=f"Autre {region}", name=f"PSAD ailleurs {region}")
    cases = [await site.api.create_case(t) for t in (north, north, south, elsewhere)]
    pilot = await site.api.user("pilote", None, region=region)
    return await site.with_password(pilot.id), [north, south], elsewhere, [c["id"] for c in cases]


def _row(html: str, heading: str) -> list[str]:
    """The cells of the table row headed `heading`."""
    match = re.search(rf"<th scope=\"row\">{re.escape(heading)}</th>(.*?)</tr>", html, re.S)
    assert match, f"no row {heading}"
    return re.findall(r"<td>(.*?)</td>", match.group(1))


async def test_a_pilot_sees_the_counts_of_their_region_only(site: Site) -> None:
    pilot, (north, south), elsewhere, case_ids = await _region_with_cases(site)
    async with site.client() as http:
        await _log_in(http, pilot)
        page = await http.get("/indicateurs")
        assert page.status_code == 200, page.text
        html = page.text
        names = [n for n in re.findall(r"PSAD \w+ Région \w+", html)]
        assert {n.split(" Région")[0] for n in names} == {"PSAD Nord", "PSAD Sud"}
        assert "PSAD ailleurs" not in html and elsewhere.platform_id not in html.replace(
            "value=", ""
        )
        region = re.search(r"PSAD Nord (Région \w+)", html)
        assert region
        assert _row(html, f"PSAD Nord {region.group(1)}")[0] == "2"  # repérés
        assert _row(html, f"PSAD Sud {region.group(1)}")[0] == "1"
        assert _row(html, "Ensemble")[0] == "3"
        assert not any(case_id in html for case_id in case_ids), "never a case id"
        assert html.count('role="img"') == 3 and "<desc id=" in html
        assert "Repérés : 3 jeunes" in html, "each chart says its figures in words"
        one = await http.get("/indicateurs", params={"plateforme": south.platform_id})
        assert _row(one.text, f"PSAD Sud {region.group(1)}")[0] == "1"
        assert "Ensemble" not in one.text
        other = await http.get("/indicateurs", params={"plateforme": elsewhere.platform_id})
        assert other.status_code == 404 and "Plateforme introuvable." in other.text
        part = await http.get(
            "/indicateurs", params={"plateforme": north.platform_id}, headers={"HX-Request": "true"}
        )
        assert part.text.lstrip().startswith('<div id="indicateurs"') and "<html" not in part.text


async def test_the_indicators_page_is_for_pilots_only(site: Site) -> None:
    for account in await site.accounts("referent", "coordinateur", "partenaire", "admin"):
        role = account.role
        async with site.client() as http:
            await _log_in(http, account)
            response = await http.get("/indicateurs")
            assert response.status_code == 403, role
            assert "Accès refusé" in response.text


async def test_a_pilot_without_a_region_sees_no_platform(site: Site) -> None:
    async with site.client() as http:
        pilot = await site.api.user("pilote", None, region=f"Vide {uuid.uuid4().hex[:6]}")
        await _log_in(http, await site.with_password(pilot.id))
        page = await http.get("/indicateurs")
        assert page.status_code == 200
        assert "Aucune plateforme n’est rattachée à votre Région" in page.text


@pytest.mark.screenshots
async def test_a_pilot_sees_the_charts_in_the_browser(page: Any, site: Site) -> None:
    pilot, (_, south), _, _ = await _region_with_cases(site)
    await site.log_in(page, pilot, "/indicateurs")
    chart = page.get_by_role("img", name=re.compile("^Le parcours des jeunes repérés"))
    await chart.wait_for()
    assert (await chart.bounding_box() or {}).get("height", 0) > 100, "the chart is drawn"
    await assert_accessible(page)
    await screenshot(page, "indicateurs")
    await page.evaluate("window.sansRechargement = true")
    await page.get_by_label("Plateforme", exact=True).select_option(south.platform_id)
    await page.get_by_text("sur 1 jeune repéré").wait_for()
    assert await page.evaluate("window.sansRechargement === true"), "the page was reloaded"
    await page.get_by_text("Voir les données de « Dossiers ouverts par étape » en tableau").click()
    table = page.get_by_role("table", name="Dossiers ouverts par étape")
    await table.wait_for()
    await assert_accessible(page)


def test_a_chart_scales_to_its_largest_bar_and_says_its_figures() -> None:
    from api.pages.charts import bar_chart

    chart = bar_chart(
        "x", "Titre", "Étape", [("Repérés", 1200), ("Joints", 300), ("Vus", 1)], "jeune"
    )
    lengths = [bar.length for bar in chart.bars]
    assert lengths[0] == max(lengths) and lengths[1] == lengths[0] / 4
    assert chart.description == "Repérés : 1\u202f200 jeunes ; Joints : 300 jeunes ; Vus : 1 jeune."
    assert bar_chart("y", "Vide", "Étape", [("A", 0)], "jeune").bars[0].length == 0
