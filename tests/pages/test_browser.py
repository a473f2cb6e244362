"""The pages in a real browser (the system's Chromium), with axe-core on every page shown."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.pages.conftest import PASSWORD, Site, assert_accessible, screenshot, unique_email


async def _fill_login(page: Any, email: str, password: str) -> None:
    await page.get_by_role("textbox", name="Adresse électronique").fill(email)
    await page.get_by_label("Mot de passe", exact=True).fill(password)
    await page.get_by_role("button", name="Se connecter").click()


@pytest.mark.screenshots
async def test_login_then_logout(page: Any, site: Site) -> None:
    account = await site.account("referent")
    await page.goto("/connexion")
    await assert_accessible(page)
    await screenshot(page, "connexion")
    await _fill_login(page, account.email, PASSWORD)
    await page.wait_for_url("**/mes-dossiers")
    assert await page.get_by_role("heading", level=1).inner_text() == "Mes dossiers"
    await assert_accessible(page)
    await page.get_by_role("link", name="Mon compte").first.click()
    await page.wait_for_url("**/mon-compte")
    await assert_accessible(page)
    await page.get_by_role("button", name="Se déconnecter").first.click()
    await page.wait_for_url("**/connexion?deconnecte=1")
    assert await page.get_by_role("status").inner_text() == "Vous êtes déconnecté."
    await page.goto("/mes-dossiers")
    await page.wait_for_url("**/connexion?next=/mes-dossiers")


async def test_a_wrong_password_is_told_in_french_by_its_field(page: Any, site: Site) -> None:
    await page.goto("/connexion")
    await _fill_login(page, unique_email(), "pas le bon mot de passe")
    field = page.get_by_label("Mot de passe", exact=True)
    await page.locator(".fr-error-text").wait_for()  # the answer page, not the form sent
    assert await field.get_attribute("aria-invalid") == "true"
    described = await field.get_attribute("aria-describedby")
    message = await page.locator(f"#{described}").inner_text()
    assert message == "Adresse électronique ou mot de passe incorrect."
    await assert_accessible(page)


async def test_a_form_posted_without_its_csrf_token_is_refused(page: Any, site: Site) -> None:
    account = await site.account("coordinateur")
    await page.goto("/connexion")
    await _fill_login(page, account.email, PASSWORD)
    await page.wait_for_url("**/plateforme")
    await page.goto("/mon-compte")
    form = page.locator("#formulaire-mot-de-passe")
    # The browser sends the form as a plain POST, without the hidden field nor htmx's header.
    async with page.expect_navigation():
        await form.evaluate(
            "f => { f.querySelector('[name=csrf_token]').remove(); "
            "f.removeAttribute('hx-post'); HTMLFormElement.prototype.submit.call(f); }"
        )
    assert await page.get_by_role("heading", level=1).inner_text() == "Accès refusé"
    await assert_accessible(page)


async def test_change_password_answers_in_place(page: Any, site: Site) -> None:
    account = await site.account("partenaire")
    await page.goto("/connexion?next=/mon-compte")
    await _fill_login(page, account.email, PASSWORD)
    await page.wait_for_url("**/mon-compte")
    await page.get_by_label("Mot de passe actuel").fill("pas le bon")
    await page.get_by_label("Nouveau mot de passe").fill("un tout nouveau secret")
    await page.get_by_role("button", name="Changer le mot de passe").click()
    error = page.locator("#current_password-erreur")
    await error.wait_for()
    assert await error.inner_text() == "Mot de passe actuel incorrect."
    await assert_accessible(page)
    await page.get_by_label("Mot de passe actuel").fill(PASSWORD)
    await page.get_by_label("Nouveau mot de passe").fill("un tout nouveau secret")
    await page.get_by_role("button", name="Changer le mot de passe").click()
    done = page.get_by_text("Votre mot de passe a été changé.")
    await done.wait_for()
    assert page.url.endswith("/mon-compte"), "answered in place, no navigation"


async def test_a_token_is_revoked_in_place_by_a_button_naming_it(page: Any, site: Site) -> None:
    account = await site.account("referent")
    await page.goto("/connexion?next=/mon-compte")
    await _fill_login(page, account.email, PASSWORD)
    await page.wait_for_url("**/mon-compte")
    button = page.get_by_role("button", name=re.compile(r"^Révoquer le jeton « .+ »$"))
    assert await button.count() == 1, "each revoke button names its token for screen readers"
    await assert_accessible(page)
    await button.click()
    await page.get_by_text("Le jeton a été révoqué.").wait_for()
    assert "Révoqué le" in await page.locator("#jetons").inner_text()
    assert await page.get_by_role("button", name=re.compile("^Révoquer")).count() == 0
    assert page.url.endswith("/mon-compte"), "answered in place, no navigation"
    await assert_accessible(page)


async def test_keyboard_only_login(page: Any, site: Site) -> None:
    account = await site.account("admin")
    await page.goto("/connexion")
    for _ in range(15):
        await page.keyboard.press("Tab")
        if await page.evaluate("document.activeElement.id") == "email":
            break
    else:
        raise AssertionError("the e-mail field cannot be reached with Tab")
    await page.keyboard.type(account.email)
    await page.keyboard.press("Tab")
    assert await page.evaluate("document.activeElement.id") == "password"
    await page.keyboard.type(PASSWORD)
    await page.keyboard.press("Enter")
    await page.wait_for_url("**/administration")
    await assert_accessible(page)


async def test_an_unauthenticated_page_goes_to_login(page: Any, site: Site) -> None:
    await page.goto("/mon-compte")
    await page.wait_for_url("**/connexion?next=/mon-compte")
    assert await page.get_by_role("heading", level=1).inner_text() == "Connexion à Fil rouge"
    await assert_accessible(page)
