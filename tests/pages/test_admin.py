"""« Administration »: platforms (territory, timer policy), structures, users and the journal,
over HTTP; the browser test is in test_admin_browser.py."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from html import unescape
from typing import Any

import httpx
import pytest

from api.pages.admin import LIST_PAGE
from api.pages.admin_users import USERS_PAGE
from tests.pages.conftest import Site, assert_accessible, screenshot
from tests.pages.test_pages_http import _hidden, _log_in
from tests.support.mail import mail_for
from tests.support.territory import TerritoryAllocator

NEW_PASSWORD = "une phrase de passe bien longue"
ADMIN_PAGES = (
    "/administration",
    "/administration/plateformes",
    "/administration/structures",
    "/administration/utilisateurs",
    "/administration/journal",
)


def _error(html: str, field: str) -> str:
    """The refusal shown under `field` ('' when there is none)."""
    match = re.search(rf'id="{field}-erreur"[^>]*>(.*?)</p>', html, re.S)
    return unescape(match.group(1).strip()) if match else ""


@asynccontextmanager
async def _admin(site: Site) -> AsyncIterator[tuple[httpx.AsyncClient, str]]:
    """An administrator's logged-in client, and the CSRF token of their session."""
    async with site.client() as http:
        await _log_in(http, await site.account("admin"))
        yield http, _hidden((await http.get("/administration")).text, "csrf_token")


async def test_the_admin_pages_refuse_every_other_role(site: Site) -> None:
    platform_id = (await site.api.team()).platform_id
    for account in await site.accounts("referent", "coordinateur", "pilote", "partenaire"):
        role = account.role
        async with site.client() as http:
            await _log_in(http, account)
            token = _hidden((await http.get("/mon-compte")).text, "csrf_token")
            for path in (*ADMIN_PAGES, f"/administration/plateformes/{platform_id}"):
                assert (await http.get(path)).status_code == 403, (role, path)
            body = {"id": f"psad-{uuid.uuid4().hex[:8]}", "name": "X", "csrf_token": token}
            created = await http.post("/administration/plateformes", data=body)
            assert created.status_code == 403 and "Accès refusé" in created.text


async def test_a_platform_is_created_and_its_territory_never_overlaps(
    site: Site, territories: TerritoryAllocator
) -> None:
    taken = territories.territory()
    other = await site.api.team(territory=taken.claim(), name="PSAD voisine")
    async with _admin(site) as (http, token):
        bad = {"id": "Pas Bon", "name": "", "communes": "31555 abc", "csrf_token": token}
        refused = await http.post("/administration/plateformes", data=bad)
        assert refused.status_code == 422
        assert _error(refused.text, "id") == "Format invalide."
        assert _error(refused.text, "name") == "Champ obligatoire."
        assert _error(refused.text, "communes") == "« abc » : format invalide."
        assert 'aria-invalid="true"' in refused.text and 'value="Pas Bon"' in refused.text
        platform_id, mine = f"psad-{uuid.uuid4().hex[:8]}", territories.territory()
        body = {"id": platform_id, "name": "PSAD Nouvelle", "region": "Bretagne"}
        body |= {"communes": ", ".join(mine.communes), "csrf_token": token}
        created = await http.post("/administration/plateformes", data=body)
        assert created.status_code == 303
        assert created.headers["location"] == f"/administration/plateformes/{platform_id}?creee=1"
        page = await http.get(created.headers["location"])
        assert "La plateforme est créée." in page.text and mine.commune in page.text
        path = f"/administration/plateformes/{platform_id}/territoire"
        overlap = {"communes": mine.commune, "postal_codes": taken.postal_code}
        headers = {"HX-Request": "true", "X-CSRF-Token": token}
        answer = await http.post(path, data=overlap, headers=headers)
        assert answer.status_code == 409
        assert answer.text.lstrip().startswith("<form") and "<html" not in answer.text
        message = _error(answer.text, "postal_codes")
        assert message == (
            f"Déjà dans le territoire de la plateforme « PSAD voisine » ({other.platform_id}) : "
            f"{taken.postal_code}."
        )
        assert _error(answer.text, "communes") == ""
        saved = await http.post(path, data={"communes": mine.commune}, headers=headers)
        assert saved.status_code == 200 and "Le territoire est enregistré" in saved.text
    listed = await site.api.http.get("/admin/platforms", headers=site.api.admin.headers)
    platform = next(p for p in listed.json() if p["id"] == platform_id)
    assert platform["territory"]["communes"] == [mine.commune]
    assert platform["territory"]["postal_codes"] == []


async def test_the_timer_policy_has_french_labels_and_refusals_by_field(site: Site) -> None:
    platform_id = (await site.api.team()).platform_id
    async with _admin(site) as (http, token):
        page = await http.get(f"/administration/plateformes/{platform_id}")
        assert "Relance du référent sans premier contact" in page.text
        assert "Actuellement : 5 jours. Par défaut : 5 jours." in page.text
        assert 'value="1 mois, 3 mois, 6 mois"' in page.text, "delays are shown in words"
        path = f"/administration/plateformes/{platform_id}/delais"
        bad = {"reminder_no_contact": "5 jours", "max_failed_attempts": "trois"}
        refused = await http.post(path, data=bad | {"csrf_token": token})
        assert refused.status_code == 422 and "<html" in refused.text, "a plain form: the page"
        assert _error(refused.text, "max_failed_attempts") == "Nombre entier attendu."
        out_of_range = {
            "reminder_no_contact": "5 lunes",
            "escalation_no_contact": "P5X",
            "follow_up_checks": "1 mois, deux mois",
            "max_failed_attempts": "0",
        }
        refused = await http.post(path, data=out_of_range | {"csrf_token": token})
        assert _error(refused.text, "reminder_no_contact") == (
            "Durée illisible : « 5 lunes » (exemples : 5 jours, 2 mois, 12 heures)."
        )
        assert _error(refused.text, "escalation_no_contact").startswith("Durée ISO 8601 invalide")
        assert _error(refused.text, "follow_up_checks").startswith(
            "Durée illisible : « deux mois »"
        )
        assert 'value="5 lunes"' in refused.text, "what was typed stays in its field"
        assert _error(refused.text, "max_failed_attempts") == (
            "Un nombre entier entre 1 et 20 est attendu."
        )
        endless = {"retention": "P99999999999D", "follow_up_checks": "P1M, P999Y"}
        refused = await http.post(path, data=endless | {"csrf_token": token})
        assert refused.status_code == 422, "a huge delay is refused, not a server error"
        for name in endless:
            assert _error(refused.text, name) == "Durée trop longue : au plus 100 ans."
        zone = f"/administration/plateformes/{platform_id}/fuseau"
        unknown = await http.post(zone, data={"time_zone": "Mars/Olympus", "csrf_token": token})
        assert unknown.status_code == 422
        assert _error(unknown.text, "time_zone").startswith(
            "Fuseau horaire inconnu : « Mars/Olympus »"
        )
        chosen = await http.post(zone, data={"time_zone": "America/Cayenne", "csrf_token": token})
        assert "Actuellement : America/Cayenne (choisi)." in chosen.text
        back = await http.post(zone, data={"time_zone": "", "csrf_token": token})
        assert "Actuellement : Europe/Paris (celui de son territoire)." in back.text
        good = {
            "reminder_no_contact": "3 jours",  # in words, or ISO 8601 as the API takes them
            "escalation_no_contact": "P12D",
            "follow_up_checks": "1 mois; 2 mois",
            "retention": "1 an et 6 mois",
            "csrf_token": token,
        }
        saved = await http.post(path, data=good)
        assert saved.status_code == 200 and "Les délais sont enregistrés" in saved.text
        assert "Actuellement : 3 jours." in saved.text
        assert 'value="12 jours"' in saved.text
    listed = await site.api.http.get("/admin/platforms", headers=site.api.admin.headers)
    policy = next(p for p in listed.json() if p["id"] == platform_id)["policy"]
    assert (policy["reminder_no_contact"], policy["follow_up_checks"]) == ("P3D", ["P1M", "P2M"])
    assert (policy["escalation_no_contact"], policy["retention"]) == ("P12D", "P1Y6M")
    assert policy["max_failed_attempts"] == 3, "an empty field keeps its value"


async def test_structures_are_created_and_listed(site: Site) -> None:
    platform_id = (await site.api.team()).platform_id
    async with _admin(site) as (http, token):
        structure_id = f"cio-{uuid.uuid4().hex[:8]}"
        body = {"id": structure_id, "platform_id": platform_id, "name": "CIO de Test"}
        refused = await http.post("/administration/structures", data=body | {"csrf_token": token})
        assert refused.status_code == 422 and _error(refused.text, "kind") == "Champ obligatoire."
        body |= {"kind": "cio", "csrf_token": token}
        created = await http.post("/administration/structures", data=body)
        assert created.status_code == 303
        listed = await http.get(created.headers["location"])
        assert f"La structure « CIO de Test » ({structure_id}) est créée" in listed.text
        assert f"<td>{structure_id}</td>" in listed.text, "the list opens on its page"
        again = await http.post("/administration/structures", data=body)
        assert again.status_code == 422
        assert _error(again.text, "id") == "Cet identifiant est déjà pris : choisissez-en un autre."


async def test_users_are_created_deactivated_and_journaled(site: Site) -> None:
    team = await site.api.team()
    async with _admin(site) as (http, token):
        pilot = {"display_name": "Pilote", "email": "pilote@x.fr", "role": "pilote"}
        refused = await http.post(
            "/administration/utilisateurs", data=pilot | {"csrf_token": token}
        )
        assert refused.status_code == 422
        assert _error(refused.text, "region") == "Indiquez la Région du pilote."
        bad = {"display_name": "X", "email": "pas une adresse", "role": "referent"}
        refused = await http.post("/administration/utilisateurs", data=bad | {"csrf_token": token})
        assert _error(refused.text, "email") == "Adresse électronique invalide."
        gone = {"display_name": "X", "email": "x@psad.filrouge.fr", "role": "coordinateur"}
        gone |= {"platform_id": "psad-disparue", "csrf_token": token}
        refused = await http.post("/administration/utilisateurs", data=gone)
        assert refused.status_code == 422
        assert _error(refused.text, "platform_id") == "Plateforme introuvable."
        email = f"coord-{uuid.uuid4().hex[:6]}@psad.filrouge.fr"
        body = {"display_name": "Camille Coordination", "email": email, "role": "coordinateur"}
        body |= {"platform_id": team.platform_id, "csrf_token": token}
        created = await http.post("/administration/utilisateurs", data=body)
        assert created.status_code == 303
        user_id = re.search(r"cree=(\w+)", created.headers["location"]).group(1)  # type: ignore[union-attr]
        listed = await http.get(created.headers["location"])
        assert "Le compte de Camille Coordination est créé." in listed.text
        assert "Un lien d’activation lui a été envoyé" in listed.text
        await mail_for(site.mail, email, "Activez")
        params = {"plateforme": team.platform_id}
        filtered = await http.get("/administration/utilisateurs", params=params)
        assert "Camille Coordination" in filtered.text
        assert "admin@psad.filrouge.fr" not in filtered.text, "another platform's account"
        headers = {"HX-Request": "true", "X-CSRF-Token": token}
        path = f"/administration/utilisateurs/{user_id}/desactiver"
        answer = await http.post(path, headers=headers)
        assert answer.status_code == 200 and answer.text.lstrip().startswith(
            '<div id="utilisateurs"'
        )
        assert "Le compte de Camille Coordination est désactivé" in answer.text
        journal = await http.get("/administration/journal")
        for action in ("Compte créé", "Lien d’activation envoyé", "Compte désactivé"):
            assert action in journal.text
        assert "rôle coordinateur de plateforme" in journal.text
        assert "plateforme PSAD test" in journal.text, "the platform named, not its id"
        member = team.coordinator
        page = await http.get(f"/administration/utilisateurs/{member.id}")
        assert page.status_code == 200 and "Compte créé" in page.text
        token_id = re.search(r"/jetons/(\w+)/revoquer", page.text).group(1)  # type: ignore[union-attr]
        assert member.token not in page.text, "never a token's value"
        other = f"/administration/utilisateurs/{user_id}/jetons/{token_id}/revoquer"
        assert (await http.post(other, headers=headers)).status_code == 404, "not theirs"
        revoke = f"/administration/utilisateurs/{member.id}/jetons/{token_id}/revoquer"
        revoked = await http.post(revoke, headers=headers)
        assert revoked.text.lstrip().startswith('<div id="jetons"')
        assert "Le jeton est révoqué." in revoked.text and "Révoqué le" in revoked.text
        refused = await site.api.http.get("/auth/me", headers=member.headers)
        assert refused.status_code == 401, "a revoked token is refused at once"
        unknown = await http.post(
            "/administration/utilisateurs/u-inconnu/desactiver", headers=headers
        )
        assert unknown.status_code == 404


async def _browser_login(page: Any, email: str, password: str) -> None:
    await page.get_by_role("textbox", name="Adresse électronique").fill(email)
    await page.get_by_label("Mot de passe", exact=True).fill(password)
    await page.get_by_role("button", name="Se connecter").click()


@pytest.mark.screenshots
async def test_an_admin_creates_a_user_who_activates_and_logs_in(page: Any, site: Site) -> None:
    team = await site.api.team()
    admin = await site.account("admin")
    await page.goto("/connexion")
    await _browser_login(page, admin.email, admin.password)
    await page.wait_for_url("**/administration")
    one_account = f"/administration/utilisateurs/{team.coordinator.id}"
    for path in (*ADMIN_PAGES, one_account):  # every admin page, as shown, passes axe
        await page.goto(path)
        await assert_accessible(page)
    await page.goto(f"/administration/plateformes/{team.platform_id}")
    await page.get_by_label("Alerte à la coordination sans premier contact").fill("dix jours")
    await page.get_by_role("button", name="Enregistrer les délais").click()
    error = page.locator("#escalation_no_contact-erreur")
    await error.wait_for()
    assert (await error.inner_text()).startswith("Durée illisible : « dix jours »")
    await assert_accessible(page)
    await page.get_by_label("Alerte à la coordination sans premier contact").fill("10 jours")
    await page.get_by_role("button", name="Enregistrer les délais").click()  # the rest as shown
    await page.get_by_text("Les délais sont enregistrés").wait_for()
    assert (
        await page.get_by_label(
            "Nombre de tentatives sans réponse avant « injoignable »"
        ).input_value()
        == "3"
    )

    await page.goto("/administration/utilisateurs")
    email = f"nouvelle-{uuid.uuid4().hex[:6]}@psad.filrouge.fr"
    await page.get_by_label("Nom et prénom").fill("Nina Nouvelle")
    await page.get_by_role("textbox", name="Adresse électronique").fill(email)
    await page.locator("#role").select_option("referent")
    await page.locator("#platform_id").select_option(team.platform_id)
    await page.locator("#structure_id").select_option(f"ml-{team.platform_id}")
    await page.get_by_role("button", name="Créer le compte et envoyer le lien d’activation").click()
    await page.get_by_text("Le compte de Nina Nouvelle est créé.").wait_for()
    await assert_accessible(page)
    await screenshot(page, "administration-utilisateurs")

    mail = await mail_for(site.mail, email, "Activez")
    text = mail.get_body(("plain",))
    assert text is not None
    link = re.search(r"(http://\S+/activation\?jeton=[\w-]+)", text.get_content())
    assert link, "no activation link in the mail"
    await page.get_by_role("button", name="Se déconnecter").first.click()
    await page.wait_for_url("**/connexion?deconnecte=1")
    await page.goto(link.group(1))
    await page.locator("#password").fill(NEW_PASSWORD)
    await page.locator("#password_confirmation").fill(NEW_PASSWORD)
    await page.get_by_role("button", name="Enregistrer mon mot de passe").click()
    await page.wait_for_url("**/connexion?active=1")
    await _browser_login(page, email, NEW_PASSWORD)
    await page.wait_for_url("**/mes-dossiers")


async def test_the_accounts_list_comes_in_pages_by_name(site: Site) -> None:
    team = await site.api.team()
    for _ in range(USERS_PAGE):  # with the team's own, more than one page on this platform
        await site.api.user("referent", team.platform_id, f"ml-{team.platform_id}")
    async with _admin(site) as (http, _token):
        listed = f"/administration/utilisateurs?plateforme={team.platform_id}"
        first = (await http.get(listed)).text
        second = (await http.get(f"{listed}&page=2")).text
        rows = [re.findall(r'data-utilisateur="(\w+)"', page) for page in (first, second)]
        assert len(rows[0]) == USERS_PAGE and 0 < len(rows[1]) < USERS_PAGE
        assert not set(rows[0]) & set(rows[1]), "an account on two pages"
        assert f'href="{listed}&amp;page=2"' in first and f'href="{listed}&amp;page=1"' in second
        names = re.findall(r'href="/administration/utilisateurs/\w+">([^<]+)</a>', first)
        assert names == sorted(names, key=str.lower), "by name"
        action = re.search(r'action="(/administration/utilisateurs/\w+/desactiver[^"]*)"', second)
        assert action and action.group(1).endswith(f"?plateforme={team.platform_id}&amp;page=2")
        beyond = await http.get(f"{listed}&page=99")
        assert beyond.status_code == 200 and "Aucun compte sur cette page." in beyond.text


def _rows(html: str) -> list[str]:
    """The identifiers in a list's second column (platforms and structures show their id)."""
    return re.findall(r"<tr>\s*<td>.*?</td>\s*<td>([\w-]+)</td>", html, re.S)


async def test_platforms_and_structures_come_in_pages_by_id(site: Site) -> None:
    platform_id = (await site.api.team()).platform_id
    async with _admin(site) as (http, token):
        prefix = f"zz-{uuid.uuid4().hex[:6]}"  # after every other id: the last pages
        for n in range(LIST_PAGE + 1):
            body = {"id": f"{prefix}-{n:02d}", "platform_id": platform_id, "name": f"ML {n}"}
            body |= {"kind": "mission_locale", "csrf_token": token}
            created = await http.post("/administration/structures", data=body)
            assert created.status_code == 303
        last = await http.get(created.headers["location"])  # the page showing the last one
        page = int(re.search(r"page=(\d+)", created.headers["location"]).group(1))  # type: ignore[union-attr]
        assert page > 1 and f"{prefix}-{LIST_PAGE:02d}" in _rows(last.text)
        before = await http.get(f"/administration/structures?page={page - 1}")
        shown = [_rows(before.text), _rows(last.text)]
        assert len(shown[0]) == LIST_PAGE and not set(shown[0]) & set(shown[1])
        assert shown[0] + shown[1] == sorted(shown[0] + shown[1]), "by id"
        assert f'href="/administration/structures?page={page}"' in before.text
        for path, noun in (("plateformes", "plateforme"), ("structures", "structure")):
            beyond = await http.get(f"/administration/{path}?page=9999")
            assert f"Aucune {noun} sur cette page." in beyond.text
        first = _rows((await http.get("/administration/plateformes")).text)
        assert 0 < len(first) <= LIST_PAGE and first == sorted(first)
