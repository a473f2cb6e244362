"""Domain errors: one type per failure kind, each carrying a French message for the user.

Services raise them; the HTTP layer maps each kind to a status code in one place
(`api/errors.py`), and the pages of the application can show the same message.
"""

from __future__ import annotations

from collections.abc import Mapping


class DomainError(Exception):
    """An expected failure, with a French message that names no personal value.

    `fields`: the input fields at fault, each with its own French message, so that a form
    shows each refusal by its field (the message alone says it all for other callers).
    """

    def __init__(self, message: str, fields: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields: dict[str, str] = dict(fields or {})


class NotFound(DomainError):
    """Unknown, or outside the caller's scope (its existence is not revealed)."""


class Conflict(DomainError):
    """Not possible in the current state (step refused, already decided, erased...)."""


class Invalid(DomainError):
    """The input breaks a rule (age, dates, unknown référent...)."""


class InvalidFile(Invalid):
    """An uploaded list cannot be read as a whole: nothing is imported."""


class Forbidden(DomainError):
    """The caller may see this, but not do that."""


class Unavailable(DomainError):
    """A service we depend on (the workflow engine) does not answer now; retry later."""


class NotAuthenticated(DomainError):
    """No valid credential: wrong password, ended session, identity refused."""


class TooManyAttempts(DomainError):
    """Too many failed attempts: a delay runs, `retry_after_seconds` from now."""

    def __init__(self, message: str, retry_after_seconds: int) -> None:
        super().__init__(message)
        self.retry_after_seconds = max(1, retry_after_seconds)
