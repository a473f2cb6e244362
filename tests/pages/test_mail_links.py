"""Every link a mail carries opens a page for people (after login when needed), never JSON."""

from __future__ import annotations

import re
import uuid
from urllib.parse import quote

import pytest

from filrouge.mail import links
from tests.pages.conftest import Account, Site
from tests.pages.test_pages_http import _log_in
from tests.support.imports import imported
from tests.support.mail import mails_for

LINKS = {
    "case": links.case_link("", "c-123"),
    "import": links.import_link("", "i-123"),
    "rejected rows": links.rejected_rows_link("", "i-123"),
    "decisions": links.decisions_link(""),
    "duplicates": links.duplicates_link(""),
}


@pytest.mark.parametrize("name", list(LINKS))
async def test_every_mail_link_is_a_page(site: Site, name: str) -> None:
    """A page asks for a login and comes back; the API would answer 401 in JSON, an unknown
    address 404."""
    async with site.client() as http:
        answer = await http.get(LINKS[name])
    assert answer.status_code == 303, f"{LINKS[name]}: {answer.status_code} {answer.text[:200]}"
    assert answer.headers["location"].startswith("/connexion?next=")


def _link(text: str, label: str) -> str:
    match = re.search(rf"{label} : (http\S+)", text)
    assert match, f"no « {label} » link in:\n{text}"
    return match.group(1)


async def _opens_after_login(site: Site, link: str, account: Account, heading: str) -> None:
    """Without a session the link goes to the login page, which comes back to it."""
    path = link.removeprefix(site.url)
    assert path.startswith("/") and link.startswith(site.url)
    async with site.client() as http:
        first = await http.get(path)
        assert first.status_code == 303
        assert first.headers["location"] == f"/connexion?next={quote(path, safe='/')}"
        logged = await _log_in(http, account, next=path)
        assert (logged.status_code, logged.headers["location"]) == (303, path)
        page = await http.get(path)
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert heading in page.text


async def test_the_referents_mail_opens_the_case_page(site: Site) -> None:
    team = await site.api.team()
    person = {"last_name": "Lien", "first_name": "Inès", "birth_date": "2005-02-03"}
    person["ine"] = f"{uuid.uuid4().int % 10**10:010d}L"
    body = {"platform_id": team.platform_id, "source": "siei", "person": person}
    headers = team.coordinator.headers
    case = (await site.api.http.post("/cases", json=body, headers=headers)).json()
    again = await site.api.http.post("/cases", json=body | {"source": "cio"}, headers=headers)
    assert again.json()["status"] == "exists"  # the référent is told of the new identification
    referent = await site.with_password(case["referent_id"])
    [mail] = await mails_for(site.mail, referent.email, "repérage")
    text = mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    link = _link(text, "Ouvrir le dossier")
    assert link == f"{site.url}/dossiers/{case['id']}"
    await _opens_after_login(site, link, referent, "<h1>LIEN Inès</h1>")


async def test_the_import_summary_opens_the_import_page(site: Site) -> None:
    team = await site.api.team()
    content = b"nom;prenom;date_naissance;code_postal\nLien;Lou;2005-02-03;97400\n"
    done = await imported(site.api, team.coordinator, content)
    coordinator = await site.with_password(team.coordinator.id)
    [mail] = await mails_for(site.mail, coordinator.email, "Import de la liste")
    text = mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    link = _link(text, "Rapport")
    assert link == f"{site.url}/plateforme/imports/{done['id']}"
    assert _link(text, r"Lignes rejetées \(CSV\)") == f"{link}/rejets.csv"
    await _opens_after_login(site, link, coordinator, "liste.csv")
