"""The platform's access log page over HTTP."""

from __future__ import annotations

import re

from tests.pages.conftest import Site
from tests.pages.test_pages_http import _log_in


async def test_the_journal_shows_who_read_which_case_in_french(site: Site) -> None:
    team = await site.api.team()
    case = await site.api.create_case(team)
    other = await site.api.team()
    theirs = await site.api.create_case(other)
    await site.api.case(theirs["id"], other.coordinator)  # a read on another platform
    coordinator = await site.with_password(team.coordinator.id)
    async with site.client() as http:
        await _log_in(http, coordinator)
        await http.get("/plateforme/dossiers")  # names shown: a logged read of each case
        journal = await http.get("/plateforme/journal")
    assert journal.status_code == 200
    rows = re.findall(r'<tr data-access="\d+">(.*?)</tr>', journal.text, flags=re.S)
    assert rows, "the list just shown is in the journal"
    newest = rows[0]
    assert case["id"] in newest and "Liste de dossiers" in newest
    assert "coordinateur de plateforme" in newest and "coordinateur " in newest
    assert theirs["id"] not in journal.text, "another platform's reads never show"


async def test_a_referent_may_not_read_the_journal(site: Site) -> None:
    referent = await site.account("referent")
    async with site.client() as http:
        await _log_in(http, referent)
        assert (await http.get("/plateforme/journal")).status_code == 403
