"""The accessibility check itself: it sees a blocking violation, also one that a part swapped
in place brings once axe-core is in the document, and checks each state of a browser test
once whatever the backend (no app or database needed)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.pages.conftest import _AXE_STEPS, assert_accessible

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


async def test_a_state_is_checked_once_across_backends_and_every_step_is(chromium: Any) -> None:
    """The same test on the second backend skips the checks that passed on the first; a
    later check of the same test (another state) still runs."""
    context = await chromium.new_context(locale="fr-FR")
    try:
        page = await context.new_page()
        await page.set_content(PAGE)
        test = f"essai-{uuid.uuid4().hex}"
        _AXE_STEPS[page] = [test, 0]  # the first backend
        await assert_accessible(page)
        _AXE_STEPS[page] = [test, 0]  # the second backend, its first state already passed
        await page.set_content(PAGE.replace("Rien à signaler.", "<img src='data:,'>"))
        await assert_accessible(page)
        with pytest.raises(AssertionError, match=r"image-alt \(critical\)"):
            await assert_accessible(page)  # its second state: checked
    finally:
        _AXE_STEPS.pop(page, None)
        await context.close()
