"""Login throttling: parallel guesses each count, a stranger cannot lock someone out, and the
delay grows with each failure but stays bounded."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.testing import WorkflowEnvironment

from filrouge.services.auth.throttle import progressive_delay
from filrouge.settings import AuthSettings
from tests.api.auth_helpers import AuthApi, auth_api, login

SETTINGS = AuthSettings(login_failure_window=timedelta(minutes=5))


@pytest.fixture(scope="module")
async def auth(
    dev_env: WorkflowEnvironment, database_url: str, sessions: async_sessionmaker[AsyncSession]
) -> AsyncIterator[AuthApi]:
    async with auth_api(dev_env, database_url, sessions, SETTINGS) as api:
        yield api


def test_the_delay_doubles_after_the_free_failures_and_is_capped() -> None:
    base, cap = timedelta(seconds=2), timedelta(minutes=1)
    delays = [progressive_delay(n, 5, base, cap) for n in range(4, 12)]

    assert delays[:2] == [None, base]
    assert delays[2:6] == [base * 2, base * 4, base * 8, base * 16]
    assert delays[6:] == [cap, cap]
    assert progressive_delay(10_000, 5, base, cap) == cap


async def test_a_stranger_who_knows_the_address_cannot_lock_the_owner_out(auth: AuthApi) -> None:
    user = await auth.user()
    async with auth.browser() as stranger:
        answers = [(await login(stranger, user["email"], "devine")).status_code for _ in range(12)]
        still_stranger = await login(stranger, user["email"])
    async with auth.browser() as owner:
        from_owner = await login(owner, user["email"])

    assert answers == [401] * 5 + [429] * 7  # the stranger's own address is slowed down
    assert still_stranger.status_code == 429
    assert from_owner.status_code == 200, from_owner.text


async def test_parallel_guesses_from_one_address_each_count(auth: AuthApi) -> None:
    user = await auth.user()
    async with auth.browser() as guesser:
        answers = await asyncio.gather(
            *(login(guesser, user["email"], f"essai {n}") for n in range(12))
        )

    assert Counter(a.status_code for a in answers) == {401: 5, 429: 7}
    assert all(int(a.headers["retry-after"]) >= 1 for a in answers if a.status_code == 429)


async def test_parallel_guesses_from_many_addresses_each_count(auth: AuthApi) -> None:
    email = f"cible-{uuid.uuid4().hex[:6]}@region.fr"
    browsers = [auth.browser() for _ in range(12)]
    try:
        answers = await asyncio.gather(*(login(b, email, "devine") for b in browsers))
    finally:
        for browser in browsers:
            await browser.aclose()

    assert Counter(a.status_code for a in answers) == {401: 5, 429: 7}
    # The account as a whole waits, but never longer than its bounded delay.
    waits = [int(a.headers["retry-after"]) for a in answers if a.status_code == 429]
    assert max(waits) <= SETTINGS.login_max_delay_per_account.total_seconds()
