"""Password hashing (Argon2id) and the password policy."""

from __future__ import annotations

import asyncio
import secrets
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MAX_LENGTH = 256  # hashing cost is bounded; nobody types more

_hasher = PasswordHasher()  # Argon2id with the RFC 9106 low-memory parameters


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


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _hasher.hash(secrets.token_urlsafe(16))
