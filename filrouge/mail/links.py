"""The pages a mail links to: one address each, as the pages serve them (`api/pages/`).

A link in a mail opens a page for people (after login when needed), never the JSON API;
`tests/pages/test_mail_links.py` checks that the application serves each of them as a page.
"""

from __future__ import annotations

CASE_PAGE = "/dossiers/{case_id}"
DECISIONS_PAGE = "/plateforme/decisions"
IMPORT_PAGE = "/plateforme/imports/{import_id}"
IMPORT_REJECTED_ROWS = "/plateforme/imports/{import_id}/rejets.csv"
DUPLICATES_PAGE = "/plateforme/doublons"


def case_link(public_url: str, case_id: str) -> str:
    """The case's page."""
    return public_url.rstrip("/") + CASE_PAGE.format(case_id=case_id)


def decisions_link(public_url: str) -> str:
    """The coordinators' queue of proposals waiting for a decision."""
    return public_url.rstrip("/") + DECISIONS_PAGE


def import_link(public_url: str, import_id: str) -> str:
    """An import's progress and report."""
    return public_url.rstrip("/") + IMPORT_PAGE.format(import_id=import_id)


def rejected_rows_link(public_url: str, import_id: str) -> str:
    """The download of an import's rejected rows, to correct and import again."""
    return public_url.rstrip("/") + IMPORT_REJECTED_ROWS.format(import_id=import_id)


def duplicates_link(public_url: str) -> str:
    """The platform's possible duplicates to review."""
    return public_url.rstrip("/") + DUPLICATES_PAGE
