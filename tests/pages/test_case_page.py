"""The case page over HTTP: identity, stage and deadline, the steps allowed now as forms
(htmx in place and plain POST), refusals, the history in French, notes, rights, 404s."""

from __future__ import annotations

import html
import re
import uuid
from typing import Any

import httpx

from tests.api.conftest import Team
from tests.pages.conftest import Account, Site
from tests.pages.test_pages_http import _hidden, _log_in

HTMX = {"HX-Request": "true"}


async def _case_and_referent(site: Site) -> tuple[Team, dict[str, Any], Account]:
    """A case with a phone number, automatically assigned to a référent who has a password."""
    team = await site.api.team()
    person = {"last_name": "Martin", "first_name": "Léa", "birth_date": "2004-05-12"}
    person |= {"ine": f"{uuid.uuid4().int % 10**10:010d}K", "phone": "0611223344"}
    body = {"platform_id": team.platform_id, "source": "siei", "person": person}
    created = await site.api.http.post("/cases", json=body, headers=team.coordinator.headers)
    assert created.status_code == 201, created.text
    case = created.json()
    return team, case, await site.with_password(case["referent_id"])


def _forms(html: str) -> list[str]:
    """The steps offered, by their form's id."""
    return re.findall(r'<form id="etape-([a-z-]+)"', html)


async def _post_step(
    http: httpx.AsyncClient, page: str, case_id: str, step: str, body: dict[str, str], htmx: bool
) -> httpx.Response:
    data = {"csrf_token": _hidden(page, "csrf_token"), "cle": _key(page, step)} | body
    headers = HTMX if htmx else {}
    return await http.post(f"/dossiers/{case_id}/etapes/{step}", data=data, headers=headers)


def _key(page: str, step: str) -> str:
    """The form's idempotency key ('' when the page does not offer the step)."""
    start = page.find(f'<form id="etape-{step.replace("_", "-")}"')
    return _hidden(page[start:], "cle") if start >= 0 else ""


def _inputs(page: str, form_id: str) -> dict[str, str]:
    """The text and hidden inputs of a form, as a browser would post them unchanged."""
    start = page.index(f'id="{form_id}"')
    form = page[start : page.index("</form>", start)]
    found = re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', form, re.S)
    return {name: html.unescape(value) for name, value in found if name != "convocation_consent"}


async def test_the_case_page_shows_the_person_stage_steps_and_history(site: Site) -> None:
    _, case, referent = await _case_and_referent(site)
    async with site.client() as http:
        await _log_in(http, referent)
        page = await http.get(f"/dossiers/{case['id']}")
        assert page.status_code == 200, page.text
        text = page.text
        assert "<h1>MARTIN Léa</h1>" in text
        assert "0611223344" in text and "12 mai 2004" in text
        assert "Prise de contact" in text and "premier contact à établir (relance)" in text
        assert "Historique intègre" in text
        assert "Repérage : liste SIEI" in text and "Dossier attribué automatiquement" in text
        assert "Passage à l’étape « prise de contact »" in text
        offered = _forms(text)
        assert "record-contact-attempt" in offered and "record-contact-outcome" in offered
        assert "decide" not in offered and "assign-referent" not in offered, "coordinator's"
        assert "Pas de réponse" in text and 'name="result" value="pas_de_reponse"' in text
        assert "santé" in text, "the notes' warning"
        assert "/export" not in text, "the download is the coordinator's"


async def test_a_step_answers_in_place_and_without_javascript(site: Site) -> None:
    _, case, referent = await _case_and_referent(site)
    async with site.client() as http:
        await _log_in(http, referent)
        page = (await http.get(f"/dossiers/{case['id']}")).text
        body = {"channel": "telephone", "result": "pas_de_reponse"}
        part = await _post_step(http, page, case["id"], "record_contact_attempt", body, True)
        assert part.status_code == 200, part.text
        assert part.text.lstrip().startswith('<div id="suivi">') and "<html" not in part.text
        assert "Enregistré : « Tentative de contact »." in part.text
        assert "Tentative de contact par téléphone : pas de réponse" in part.text
        assert "1 tentative sans réponse" in part.text
        # The same form posted twice (a double click): recorded once.
        again = await _post_step(http, page, case["id"], "record_contact_attempt", body, True)
        assert again.text.count("Tentative de contact par téléphone") == 1
        # Without JavaScript: POST, then back to the page.
        page = (await http.get(f"/dossiers/{case['id']}")).text
        body = {"outcome": "accepte_entretien"}
        plain = await _post_step(http, page, case["id"], "record_contact_outcome", body, False)
        assert plain.status_code == 303
        assert plain.headers["location"].startswith(f"/dossiers/{case['id']}?enregistre=")
        after = await http.get(plain.headers["location"])
        assert "Bilan-positionnement" in after.text
        assert "Enregistré : « Résultat du contact »" in after.text
        assert "schedule-interview" in _forms(after.text)


async def test_a_refusal_is_told_by_its_field_or_for_the_form(site: Site) -> None:
    _, case, referent = await _case_and_referent(site)
    async with site.client() as http:
        await _log_in(http, referent)
        page = (await http.get(f"/dossiers/{case['id']}")).text
        body = {"outcome": "deja_en_solution"}  # the kind of solution is missing
        refused = await _post_step(http, page, case["id"], "record_contact_outcome", body, True)
        assert refused.status_code == 409
        assert "Précisez le type de solution (déjà en solution)." in refused.text
        described = 'aria-describedby="etape-record-contact-outcome-solution-type-erreur"'
        assert described in refused.text
        missing = await _post_step(http, page, case["id"], "record_contact_attempt", {}, True)
        assert missing.status_code == 422 and "Champ obligatoire." in missing.text
        # A step not allowed at this stage (a stale page): the French reason, for the form.
        stale = await _post_step(http, page, case["id"], "record_interview", {"held": "true"}, True)
        assert stale.status_code == 409 and "Action « compte rendu" in stale.text
        assert 'role="alert"' in stale.text


async def test_other_platforms_and_other_roles_get_404_or_403(site: Site) -> None:
    _, case, _ = await _case_and_referent(site)
    outsider = await site.account("coordinateur")
    pilot = await site.account("pilote")
    async with site.client() as http:
        await _log_in(http, outsider)
        for path in (f"/dossiers/{case['id']}", "/dossiers/inconnu"):
            page = await http.get(path)
            assert page.status_code == 404 and "Page introuvable" in page.text
            assert "Martin" not in page.text
        api = await http.get(f"/cases/{case['id']}")
        assert api.status_code == 404
        export = await http.get(f"/dossiers/{case['id']}/export")
        assert export.status_code == 404
    async with site.client() as http:
        await _log_in(http, pilot)
        assert (await http.get(f"/dossiers/{case['id']}")).status_code == 403


async def test_notes_export_and_rectification(site: Site) -> None:
    team, case, referent = await _case_and_referent(site)
    async with site.client() as http:
        await _log_in(http, referent)
        page = (await http.get(f"/dossiers/{case['id']}")).text
        token = _hidden(page, "csrf_token")
        url = f"/dossiers/{case['id']}"
        note = await http.post(
            f"{url}/notes", data={"texte": "Rappeler lundi.", "csrf_token": token}, headers=HTMX
        )
        assert note.status_code == 200 and "Rappeler lundi." in note.text
        assert note.text.lstrip().startswith('<div id="notes"')
        empty = await http.post(f"{url}/notes", data={"texte": " ", "csrf_token": token})
        assert empty.status_code == 422 and "note-texte-erreur" in empty.text
        fields = _inputs(page, "rectification") | {"phone": "0699887766"}
        done = await http.post(f"{url}/rectification", data=fields, headers=HTMX)
        assert done.status_code == 200, done.text
        assert "Données rectifiées : Téléphone." in done.text and "0699887766" in done.text
        bad = await http.post(
            f"{url}/rectification", data=fields | {"birth_date": "2030-01-01"}, headers=HTMX
        )
        assert bad.status_code == 422 and "Rectification refusée" in bad.text
        history = (await http.get(url)).text
        assert "Données rectifiées : Téléphone" in history and "0611223344" not in history
    coordinator = await site.with_password(team.coordinator.id)
    async with site.client() as http:
        await _log_in(http, coordinator)
        page = (await http.get(f"/dossiers/{case['id']}")).text
        assert "Rappeler lundi." in page and "assign-referent" in _forms(page)
        download = await http.get(f"/dossiers/{case['id']}/export")
        assert download.status_code == 200
        assert download.headers["content-disposition"].startswith("attachment;")
        assert "0699887766" in download.text and "droit d'accès" in download.text


async def test_a_colleague_reads_without_steps_and_another_structure_gets_404(
    site: Site,
) -> None:
    team, case, referent = await _case_and_referent(site)
    colleague = next(r for r in team.ml_referents if r.id != referent.id)
    async with site.client() as http:
        await _log_in(http, await site.with_password(colleague.id))
        page = await http.get(f"/dossiers/{case['id']}")
        assert page.status_code == 200 and "lecture seule" in page.text
        assert _forms(page.text) == [] and 'id="rectification"' not in page.text
        assert "Aucune action ne vous est proposée" in page.text
    async with site.client() as http:
        await _log_in(http, await site.with_password(team.mlds_referent.id))
        assert (await http.get(f"/dossiers/{case['id']}")).status_code == 404


async def test_an_erased_case_still_opens_without_its_personal_data(site: Site) -> None:
    team, case, _ = await _case_and_referent(site)
    erased = await site.api.http.post(
        f"/cases/{case['id']}/erase", headers=team.coordinator.headers
    )
    assert erased.status_code == 200, erased.text
    async with site.client() as http:
        await _log_in(http, await site.with_password(team.coordinator.id))
        page = await http.get(f"/dossiers/{case['id']}")
        assert page.status_code == 200, page.text
        assert f"<h1>Dossier {case['id']}</h1>" in page.text
        assert "Les données personnelles de ce dossier ont été effacées." in page.text
        assert "Martin" not in page.text and "0611223344" not in page.text
        assert _forms(page.text) == [], "no pathway left to act on"


async def test_the_lists_link_each_name_to_its_case_page(site: Site) -> None:
    team, case, referent = await _case_and_referent(site)
    link = f'href="/dossiers/{case["id"]}"'
    async with site.client() as http:
        await _log_in(http, referent)
        assert link in (await http.get("/mes-dossiers")).text
    async with site.client() as http:
        await _log_in(http, await site.with_password(team.coordinator.id))
        assert link in (await http.get("/plateforme/dossiers")).text
