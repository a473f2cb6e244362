"""The stored form of a secret (session, CSRF, activation or API token): its SHA-256."""

from __future__ import annotations

import hashlib


def digest(secret: str) -> str:
    """The SHA-256 hex digest stored in place of a secret handed out once."""
    return hashlib.sha256(secret.encode()).hexdigest()
