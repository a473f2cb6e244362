"""The case page in a real browser: a case walked from identification to closure through its
forms, a contact attempt with the keyboard only, a refusal in place, another platform's 404."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from tests.pages.conftest import Account, Site, assert_accessible, screenshot


async def _new_case(site: Site, last_name: str) -> tuple[Any, dict[str, Any], Account]:
    team = await site.api.team()
    person = {"last_name": last_name, "first_name": "Léa", "birth_date": "2005-04-01"}
    person["ine"] = f"{uuid.uuid4().int % 10**10:010d}N"
    body = {"platform_id": team.platform_id, "source": "siei", "person": person}
    created = await site.api.http.post("/cases", json=body, headers=team.coordinator.headers)
    assert created.status_code == 201, created.text
    case = created.json()
    return team, case, await site.with_password(case["referent_id"])


def _form(page: Any, step: str) -> Any:
    return page.locator(f"#etape-{step}")


async def _done(page: Any, label: str, stage: str) -> None:
    """The step's answer came in place: its notice, and the stage now shown."""
    await page.get_by_text(f"Enregistré : « {label} ».").wait_for()
    assert await page.locator("#etape-actuelle").inner_text() == stage


@pytest.mark.screenshots
async def test_a_case_walked_from_identification_to_closure(
    page: Any, site: Site, chromium: Any
) -> None:
    team, case, referent = await _new_case(site, "Parcours")
    path = f"/dossiers/{case['id']}"
    await site.log_in(page, referent, path)
    await assert_accessible(page)
    await page.evaluate("window.sansRechargement = true")
    # Reached by SMS: two clicks.
    attempt = _form(page, "record-contact-attempt")
    await attempt.locator("label", has_text="SMS").click()  # DSFR draws the radio on it
    await attempt.get_by_role("button", name="Jeune joint").click()
    await _done(page, "Tentative de contact", "Prise de contact")
    await (
        _form(page, "record-contact-outcome")
        .get_by_role("button", name="Accepte un entretien")
        .click()
    )
    await _done(page, "Résultat du contact", "Bilan-positionnement")
    schedule = _form(page, "schedule-interview")
    when = (datetime.now(UTC) + timedelta(days=3)).strftime("%Y-%m-%dT14:00")
    await schedule.get_by_label("Date et heure").fill(when)
    await schedule.get_by_label("Lieu").fill("CIO de Rennes")
    await schedule.get_by_role("button", name="Planifier l’entretien").click()
    await _done(page, "Planifier l’entretien", "Bilan-positionnement")
    await _form(page, "record-interview").get_by_role("button", name="Oui, il a eu lieu").click()
    await _done(page, "Compte rendu d’entretien", "Proposition de solution")
    propose = _form(page, "propose-solutions")
    await propose.locator("#etape-propose-solutions-solutions-0-type").select_option("e2c")
    await propose.locator("#etape-propose-solutions-solutions-0-structure").fill("E2C Rennes")
    start = date.today().isoformat()
    await propose.locator("#etape-propose-solutions-solutions-0-start-date").fill(start)
    await propose.get_by_role("button", name="Proposer des solutions").click()
    await _done(page, "Proposer des solutions", "Décision")
    assert await _form(page, "decide").count() == 0, "the coordinator decides"
    await assert_accessible(page)
    await screenshot(page, "dossier")

    # The coordinator decides on the same page.
    context = await chromium.new_context(base_url=site.url, locale="fr-FR")
    try:
        coordinator = await context.new_page()
        await site.log_in(coordinator, await site.with_password(team.coordinator.id), path)
        decide = _form(coordinator, "decide")
        await decide.get_by_label("Commentaire").fill("Bonne orientation.")
        await decide.get_by_role("button", name="Valider").click()
        await _done(coordinator, "Décision du coordinateur", "Entrée en solution")
    finally:
        await context.close()

    await page.reload()
    await _form(page, "confirm-entry").get_by_role("button", name="Oui, il est entré").click()
    await _done(page, "Confirmer l’entrée en solution", "Suivi")
    for done in range(3):  # the policy's three follow-up checks; the last one closes
        form = _form(page, "record-follow-up")
        await form.get_by_role("button", name="Toujours en solution").click()
        await page.locator("#historique-liste li", has_text="Point de suivi").nth(done).wait_for()
    assert await page.locator("#etape-actuelle").inner_text() == "Clôturé"
    history = await page.locator("#historique-liste").inner_text()
    for line in (
        "Tentative de contact par SMS",
        "Décision du coordinateur",
        "Bonne orientation.",
        "Passage à l’étape « clôturé »",
    ):
        assert line in history, history
    assert "Historique intègre" in await page.locator("#integrite").inner_text()
    await assert_accessible(page)


async def test_keyboard_only_contact_attempt_and_a_refusal_in_place(page: Any, site: Site) -> None:
    _, case, referent = await _new_case(site, "Clavier")
    path = f"/dossiers/{case['id']}"
    await site.log_in(page, referent, path)
    await page.evaluate("window.sansRechargement = true")
    phone = "etape-record-contact-attempt-channel-1"
    for _ in range(40):
        await page.keyboard.press("Tab")
        if await page.evaluate("document.activeElement.id") == phone:
            break
    else:
        raise AssertionError("the contact attempt's first channel cannot be reached with Tab")
    await page.keyboard.press("Space")  # téléphone
    await page.keyboard.press("Tab")  # out of the radio group: the first result
    assert await page.evaluate("document.activeElement.textContent") == "Pas de réponse"
    await page.keyboard.press("Enter")
    notice = page.get_by_text("Enregistré : « Tentative de contact ».")
    await notice.wait_for()
    assert await page.evaluate("document.activeElement.getAttribute('role')") == "status"
    assert "1 tentative sans réponse" in await page.locator("#suivi").inner_text()

    # « Déjà en solution » without saying which: refused in place, by its field.
    outcome = _form(page, "record-contact-outcome")
    await outcome.get_by_role("button", name="Déjà en solution").click()
    field = page.locator("#etape-record-contact-outcome-solution-type")
    await page.locator("#etape-record-contact-outcome-solution-type-erreur").wait_for()
    assert await field.get_attribute("aria-invalid") == "true"
    described = await field.get_attribute("aria-describedby")
    message = await page.locator(f"#{described}").inner_text()
    assert message.startswith("Précisez le type de solution")
    alert = page.locator("#etape-record-contact-outcome-erreur")
    assert await alert.get_attribute("role") == "alert"
    assert await page.evaluate("window.sansRechargement === true"), "answered in place"
    await assert_accessible(page)


async def test_a_case_of_another_platform_is_not_found(page: Any, site: Site) -> None:
    _, case, _ = await _new_case(site, "Ailleurs")
    outsider = await site.account("referent")
    await site.log_in(page, outsider, "/mes-dossiers")
    answer = await page.goto(f"/dossiers/{case['id']}")
    assert answer.status == 404
    assert await page.get_by_role("heading", level=1).inner_text() == "Page introuvable"
    assert "Ailleurs" not in await page.content()
    await assert_accessible(page)
