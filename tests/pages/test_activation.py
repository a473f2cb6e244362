"""The activation link of the mail opens a page to choose one's password, then login."""

from __future__ import annotations

import re
import uuid
from typing import Any

from tests.pages.conftest import Site, assert_accessible
from tests.support.mail import mail_for

NEW_PASSWORD = "une phrase de passe bien longue"


async def _activation_link(site: Site, role: str) -> tuple[str, str]:
    platform_id = (await site.api.team()).platform_id
    email = f"nouveau-{uuid.uuid4().hex[:6]}@psad.filrouge.fr"
    body = {
        "display_name": "Nouveau référent",
        "email": email,
        "role": role,
        "platform_id": platform_id,
        "structure_id": f"ml-{platform_id}",
    }
    await site.api.admin_post("/admin/users", body)
    mail = await mail_for(site.mail, email, "Activez")
    text = mail.get_body(("plain",))
    assert text is not None
    found = re.search(r"(http://\S+/activation\?jeton=[\w-]+)", text.get_content())
    assert found, "no activation link in the mail"
    return email, found.group(1)


async def test_a_new_user_activates_then_logs_in(page: Any, site: Site) -> None:
    email, link = await _activation_link(site, "referent")
    await page.goto(link)
    assert await page.get_by_role("heading", level=1).inner_text() == "Activer mon compte"
    await assert_accessible(page)
    await page.get_by_label("Mot de passe", exact=False).first.fill(NEW_PASSWORD)
    await page.get_by_label("Confirmez le mot de passe").fill("autre chose encore")
    await page.get_by_role("button", name="Enregistrer mon mot de passe").click()
    error = page.locator("#password_confirmation-erreur")
    await error.wait_for()
    assert await error.inner_text() == "Les deux mots de passe saisis sont différents."
    field = page.get_by_label("Confirmez le mot de passe")
    assert await field.get_attribute("aria-invalid") == "true"
    await assert_accessible(page)
    await page.locator("#password").fill(NEW_PASSWORD)
    await field.fill(NEW_PASSWORD)
    await page.get_by_role("button", name="Enregistrer mon mot de passe").click()
    await page.wait_for_url("**/connexion?active=1")
    status = page.get_by_role("status")
    assert await status.inner_text() == "Votre mot de passe est enregistré : connectez-vous."
    await page.get_by_role("textbox", name="Adresse électronique").fill(email)
    await page.get_by_label("Mot de passe", exact=True).fill(NEW_PASSWORD)
    await page.get_by_role("button", name="Se connecter").click()
    await page.wait_for_url("**/mes-dossiers")
    # The link is used up: opening it again refuses in French, by the form.
    await page.goto(link)
    await page.locator("#password").fill(NEW_PASSWORD)
    await page.locator("#password_confirmation").fill(NEW_PASSWORD)
    await page.get_by_role("button", name="Enregistrer mon mot de passe").click()
    alert = page.locator("#erreur-activation")
    await alert.wait_for()
    assert "Lien d'activation invalide" in await alert.inner_text()


async def test_a_short_password_is_refused_by_its_field(page: Any, site: Site) -> None:
    _, link = await _activation_link(site, "referent")
    await page.goto(link)
    await page.locator("#password").fill("court")
    await page.locator("#password_confirmation").fill("court")
    await page.get_by_role("button", name="Enregistrer mon mot de passe").click()
    error = page.locator("#password-erreur")
    await error.wait_for()
    assert "caractères" in await error.inner_text()
    await assert_accessible(page)


async def test_a_link_without_its_token_says_so(page: Any, site: Site) -> None:
    await page.goto("/activation")
    alert = page.locator("#erreur-activation")
    assert "incomplet" in await alert.inner_text()
    await assert_accessible(page)
