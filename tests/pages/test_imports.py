"""The import pages over HTTP: upload (multipart, CSRF), progress polled by htmx, report."""

from __future__ import annotations

import re

import httpx

from tests.api.conftest import Team
from tests.api.test_intake_api import born, csv_bytes, fr, new_ine, unique_name
from tests.pages.conftest import Account, Site
from tests.pages.test_pages_http import _hidden, _log_in
from tests.support.mail import mail_for
from tests.support.waiting import eventually


async def coordinator_with_land(site: Site) -> tuple[Team, Account, str]:
    """A platform with a commune of its own, and its coordinator able to log in."""
    land = site.api.territories.territory()
    team = await site.api.team(territory=land.claim())
    return team, await site.with_password(team.coordinator.id), land.commune


def a_list(commune: str) -> bytes:
    """Two rows: a young person of the platform's commune, and a row with a bad birth date."""
    good = [new_ine(), unique_name("Durand"), "Léa", fr(born(17)), "", commune]
    bad = [new_ine(), unique_name("Martin"), "Paul", "31/02/2007", "", commune]
    return csv_bytes([good, bad])


async def upload(http: httpx.AsyncClient, content: bytes, name: str = "liste.csv") -> str:
    """Send the page's form with the file; returns the progress page's address."""
    page = await http.get("/plateforme/imports")
    data = {"csrf_token": _hidden(page.text, "csrf_token")}
    files = {"fichier": (name, content, "text/csv")}
    sent = await http.post("/plateforme/imports", data=data, files=files)
    assert sent.status_code == 303, sent.text
    return sent.headers["location"]


async def finished_report(http: httpx.AsyncClient, address: str) -> str:
    """Poll the progress block as htmx does, until it comes back without its trigger."""

    async def probe() -> str | None:
        part = await http.get(address, headers={"HX-Request": "true"})
        assert part.status_code == 200 and part.text.lstrip().startswith('<div id="avancement"')
        return None if "hx-trigger" in part.text else part.text

    return await eventually(probe, within=60)


async def test_upload_follow_progress_and_read_the_report(site: Site) -> None:
    _, coordinator, commune = await coordinator_with_land(site)
    async with site.client() as http:
        await _log_in(http, coordinator)
        address = await upload(http, a_list(commune), "liste-novembre.csv")
        assert re.fullmatch(r"/plateforme/imports/[\w-]+", address)
        report = await finished_report(http, address)
        assert "Import terminé" in report
        assert "Dossiers créés : 1" in report and "Lignes rejetées : 1" in report
        row = re.search(
            r"<td>3</td>\s*<td>Rejetée</td>\s*<td>(Date de naissance[^<]+)</td>", report
        )
        assert row, "the rejected row (line 3 of the file) with its French reason"
        corrected = await http.get(f"{address}/rejets.csv")
        assert corrected.status_code == 200
        assert corrected.headers["content-type"].startswith("text/csv")
        assert "31/02/2007" in corrected.content.decode("utf-8-sig")
        listed = await http.get("/plateforme/imports")
        assert "liste-novembre.csv" in listed.text and address in listed.text
        whole = await http.get(address)
        assert "<html" in whole.text and "Import « liste-novembre.csv »" in whole.text
    summary = (await mail_for(site.mail, coordinator.email, "Import de la liste")).get_body(
        ("plain",)
    )
    assert summary is not None
    assert f"Rapport : {site.url}{address}" in summary.get_content().splitlines()
    async with site.client() as http:  # the mail's link: the report once logged in
        opened = await http.get(address)
        assert opened.status_code == 303 and opened.headers["location"].startswith("/connexion")


async def test_a_refused_file_answers_in_the_form(site: Site) -> None:
    _, coordinator, _ = await coordinator_with_land(site)
    async with site.client() as http:
        await _log_in(http, coordinator)
        page = await http.get("/plateforme/imports")
        data = {"csrf_token": _hidden(page.text, "csrf_token")}
        files = {"fichier": ("photo.csv", b"\x89PNG\r\n\x1a\n\x00\x00", "text/csv")}
        refused = await http.post("/plateforme/imports", data=data, files=files)
        assert refused.status_code == 422
        assert 'id="fichier-erreur"' in refused.text
        empty = await http.post("/plateforme/imports", data=data)
        assert empty.status_code == 422 and "Choisissez un fichier CSV ou XLSX." in empty.text
        files = {"fichier": ("liste.csv", b"Nom;Prenom\n", "text/csv")}
        forged = await http.post("/plateforme/imports", files=files)
        assert forged.status_code == 403, "an upload without its CSRF token"


async def test_another_platform_never_sees_an_import(site: Site) -> None:
    _, coordinator, commune = await coordinator_with_land(site)
    async with site.client() as http:
        await _log_in(http, coordinator)
        address = await upload(http, a_list(commune))
    _, stranger, _ = await coordinator_with_land(site)
    referent = await site.account("referent")
    async with site.client() as http:
        await _log_in(http, stranger)
        for path in (address, f"{address}/rejets.csv"):
            assert (await http.get(path)).status_code == 404, path
        assert address not in (await http.get("/plateforme/imports")).text
    async with site.client() as http:
        await _log_in(http, referent)
        assert (await http.get("/plateforme/imports")).status_code == 403
        assert (await http.get(address)).status_code == 403
