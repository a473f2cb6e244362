"""A coordinator's work in a real browser: import a list, resolve a duplicate, decide from the
queue; axe-core on every page shown."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from tests.api.test_intake_api import born, csv_bytes, fr, new_ine, unique_name
from tests.pages.conftest import Account, Site, assert_accessible, screenshot
from tests.pages.test_decisions import case_waiting_for_a_decision
from tests.pages.test_duplicates import a_possible_duplicate
from tests.pages.test_imports import coordinator_with_land


async def log_in(page: Any, site: Site, account: Account, landing: str) -> None:
    """Logged in (over HTTP), the home page sends to `landing`."""
    await site.log_in(page, account, "/", landing)


def a_long_list(commune: str, rows: int = 60) -> bytes:
    """Enough rows for the progress to show before the report; the last one is rejected."""
    people = [
        [new_ine(), unique_name("Durand"), "Léa", fr(born(17)), "", commune] for _ in range(rows)
    ]
    people.append([new_ine(), unique_name("Martin"), "Paul", "31/02/2007", "", commune])
    return csv_bytes(people)


@pytest.mark.screenshots
async def test_a_coordinator_imports_a_list(page: Any, site: Site) -> None:
    _, coordinator, commune = await coordinator_with_land(site)
    await log_in(page, site, coordinator, "/plateforme")
    await assert_accessible(page)
    await page.get_by_role("link", name="Dossiers", exact=True).first.click()
    await page.wait_for_url("**/plateforme/dossiers")
    await assert_accessible(page)
    await page.get_by_role("link", name="Imports", exact=True).first.click()
    await page.wait_for_url("**/plateforme/imports")
    await assert_accessible(page)
    listed = {"name": "liste-decembre.csv", "mimeType": "text/csv", "buffer": a_long_list(commune)}
    await page.get_by_label("Liste à importer").set_input_files(listed)
    await page.get_by_role("button", name="Importer la liste").click()
    await page.wait_for_url("**/plateforme/imports/*")
    await page.locator("#barre-avancement").wait_for()  # the progress first
    await assert_accessible(page)
    await page.evaluate("window.sansRechargement = true")
    await page.get_by_role("heading", name="Import terminé").wait_for(timeout=60_000)
    assert await page.evaluate("window.sansRechargement === true"), "htmx, not a reload"
    assert await page.locator("#avancement[hx-trigger]").count() == 0, "polling stopped"
    assert "Lignes rejetées : 1" in await page.locator("#bilan").inner_text()
    reason = page.get_by_role("cell", name="Date de naissance : date inexistante")
    await reason.wait_for()
    await assert_accessible(page)
    await screenshot(page, "import")
    async with page.expect_download() as download_info:
        await page.get_by_role("link", name="Télécharger les lignes rejetées").click()
    download = await download_info.value
    saved = Path(await download.path())
    corrected = (await asyncio.to_thread(saved.read_bytes)).decode("utf-8-sig")
    assert "31/02/2007" in corrected and download.suggested_filename.startswith("rejets-")


@pytest.mark.screenshots
async def test_a_coordinator_resolves_a_duplicate(page: Any, site: Site) -> None:
    _, coordinator, case_id, _ = await a_possible_duplicate(site)
    await log_in(page, site, coordinator, "/plateforme")
    await page.get_by_role("link", name="Doublons possibles").first.click()
    await page.wait_for_url("**/plateforme/doublons")
    await assert_accessible(page)
    await screenshot(page, "doublons")
    await page.evaluate("window.sansRechargement = true")
    await page.get_by_role("button", name=f"Même jeune : ajouter au dossier {case_id}").click()
    await page.get_by_text(f"Repérage ajouté au dossier {case_id}.").wait_for()
    assert await page.evaluate("window.sansRechargement === true"), "answered in place"
    await page.get_by_text("Aucun doublon possible n’attend de décision.").wait_for()
    await assert_accessible(page)
    await page.get_by_role("link", name="Journal des accès").first.click()
    await page.wait_for_url("**/plateforme/journal")
    await page.get_by_role("cell", name="Examen d’un doublon possible").first.wait_for()
    await assert_accessible(page)


@pytest.mark.screenshots
async def test_a_coordinator_decides_from_the_queue(page: Any, site: Site) -> None:
    _, coordinator, case = await case_waiting_for_a_decision(site)
    await log_in(page, site, coordinator, "/plateforme")
    await screenshot(page, "plateforme")
    await page.get_by_role("link", name="Décisions", exact=True).first.click()
    await page.wait_for_url("**/plateforme/decisions")
    await page.get_by_text("École de la 2e chance, E2C").wait_for()
    await assert_accessible(page)
    await screenshot(page, "decisions")
    await page.evaluate("window.sansRechargement = true")
    await page.get_by_role("button", name="Valider", exact=True).click()
    await page.get_by_text(
        f"Décision enregistrée pour le dossier {case['id']} : valider."
    ).wait_for()
    assert await page.evaluate("window.sansRechargement === true"), "answered in place"
    await page.get_by_text("Aucune décision n’est attendue.").wait_for()
    await assert_accessible(page)
