"""The accessibility check itself: it sees a blocking violation, also one that a part swapped
in place brings once axe-core is in the document (no app or database needed)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.pages.conftest import assert_accessible

PAGE = """<!doctype html><html lang="fr"><head><title>Essai</title></head>
<body><main><h1>Essai</h1><div id="partie"><p>Rien à signaler.</p></div></main></body></html>"""


async def test_a_blocking_violation_fails_even_after_an_in_place_swap(chromium: Any) -> None:
    context = await chromium.new_context(locale="fr-FR")
    try:
        page = await context.new_page()
        await page.set_content(PAGE)
        await assert_accessible(page)
        # As htmx would: a part replaced, the document (and axe-core in it) kept.
        await page.evaluate("document.getElementById('partie').innerHTML = '<img src=\"data:,\">'")
        with pytest.raises(AssertionError, match=r"image-alt \(critical\)"):
            await assert_accessible(page)
        await page.set_content(PAGE.replace("Rien à signaler.", "<img src='data:,'>"))
        with pytest.raises(AssertionError, match=r"image-alt \(critical\)"):
            await assert_accessible(page)
    finally:
        await context.close()
