"""Password hashing (Argon2id) and the password policy."""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MAX_LENGTH = 256  # hashing cost is bounded; nobody types more


@dataclass(frozen=True)
class Argon2Cost:
    """Argon2id work factors: passes, memory in KiB, lanes."""

    time_cost: int
    memory_kib: int
    parallelism: int


# The RFC 9106 low-memory parameters (argon2-cffi's defaults): what production uses.
PRODUCTION_COST = Argon2Cost(time_cost=3, memory_kib=65536, parallelism=4)


@lru_cache(maxsize=4)
def _hasher_for(cost: Argon2Cost) -> PasswordHasher:
    return PasswordHasher(cost.time_cost, cost.memory_kib, cost.parallelism)


_cost = PRODUCTION_COST
_hasher = _hasher_for(_cost)


def current_cost() -> Argon2Cost:
    """The Argon2 parameters new hashes get now."""
    return _cost


def use_cost(cost: Argon2Cost) -> None:
    """Hash new passwords with `cost` (set once at start-up from the settings)."""
    global _cost, _hasher
    _cost, _hasher = cost, _hasher_for(cost)


def password_problem(password: str, min_length: int, email: str = "") -> str | None:
    """Why `password` is refused (a French sentence), or None when it is acceptable."""
    if len(password) < min_length:
        return f"Le mot de passe doit contenir au moins {min_length} caractères."
    if len(password) > MAX_LENGTH:
        return f"Le mot de passe ne peut dépasser {MAX_LENGTH} caractères."
    if not password.strip():
        return "Le mot de passe ne peut pas être composé uniquement d'espaces."
    if len(set(password)) < 4:
        return "Le mot de passe est trop répétitif."
    local_part = email.split("@", 1)[0].lower()
    if len(local_part) >= 4 and local_part in password.lower():
        return "Le mot de passe ne doit pas contenir votre adresse électronique."
    return None


async def hash_password(password: str) -> str:
    """The Argon2id PHC string of `password` (computed off the event loop)."""
    return await asyncio.to_thread(_hasher.hash, password)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


async def verify_password(password_hash: str | None, password: str) -> bool:
    """Check `password`; without a hash, spend the same time on a dummy one and refuse."""
    if password_hash is None:
        await asyncio.to_thread(_verify, _dummy_hash(), password)
        return False
    return await asyncio.to_thread(_verify, password_hash, password)


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with weaker parameters than the current ones."""
    return _hasher.check_needs_rehash(password_hash)


def _dummy_hash() -> str:
    return _dummy_hash_for(_cost)


@lru_cache(maxsize=4)
def _dummy_hash_for(cost: Argon2Cost) -> str:
    return _hasher_for(cost).hash(secrets.token_urlsafe(16))
