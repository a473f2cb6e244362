"""Password hashing: production keeps the strong Argon2id parameters, tests use cheap ones."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher, extract_parameters, profiles

from filrouge.core import passwords
from filrouge.core.passwords import PRODUCTION_COST, Argon2Cost, hash_password, verify_password
from filrouge.settings import AuthSettings

CHEAP = Argon2Cost(time_cost=1, memory_kib=8, parallelism=1)


def test_production_cost_is_rfc_9106_low_memory() -> None:
    strong = profiles.RFC_9106_LOW_MEMORY
    assert (strong.time_cost, strong.memory_cost, strong.parallelism) == (3, 65536, 4)
    assert PRODUCTION_COST == Argon2Cost(3, 65536, 4)


def test_settings_default_to_the_production_cost(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AUTH_ARGON2_TIME_COST", "AUTH_ARGON2_MEMORY_KIB", "AUTH_ARGON2_PARALLELISM"):
        monkeypatch.delenv(name, raising=False)
    assert Argon2Cost(*AuthSettings().argon2_cost()) == PRODUCTION_COST


def test_the_test_configuration_lowers_the_cost() -> None:
    assert Argon2Cost(*AuthSettings().argon2_cost()) == CHEAP


async def test_hashes_carry_the_configured_cost_and_old_ones_still_verify() -> None:
    try:
        passwords.use_cost(PRODUCTION_COST)
        strong = await hash_password("correct horse battery")
        passwords.use_cost(CHEAP)
        cheap = await hash_password("correct horse battery")
        assert not passwords.needs_rehash(cheap)
        assert await verify_password(strong, "correct horse battery")
        assert not await verify_password(strong, "wrong horse battery")
        assert not await verify_password(None, "correct horse battery")
    finally:
        passwords.use_cost(Argon2Cost(*AuthSettings().argon2_cost()))
    params = extract_parameters(strong)
    assert (params.time_cost, params.memory_cost, params.parallelism) == (3, 65536, 4)
    assert extract_parameters(cheap).memory_cost == 8
    assert PasswordHasher().check_needs_rehash(cheap)  # production rehashes a cheap hash
