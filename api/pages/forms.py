"""Posted forms: checked with the API's own body models, each refusal shown by its field.

A page never writes a rule of its own: the body model (`api/schemas.py`) checks the shapes,
the service checks the rules, and both give French messages that land under their field.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.datastructures import FormData

from api.errors import validation_message
from filrouge.core.errors import DomainError

Model = TypeVar("Model", bound=BaseModel)
MAX_FIELD = 2000  # no form field of these pages is longer


def sentence(text: str) -> str:
    """'format invalide' -> 'Format invalide.'"""
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?", "»")) else f"{text}."


def page_number(raw: str) -> int:
    """The list page asked for in an address (1 when there is none or it is no number)."""
    return int(raw) if raw.isdigit() and 0 < int(raw) < 10_000 else 1


def values(form: FormData, names: Iterable[str]) -> dict[str, str]:
    """The named fields of a posted form, trimmed ('' when absent)."""
    found: dict[str, str] = {}
    for name in names:
        value = form.get(name)
        found[name] = value.strip()[:MAX_FIELD] if isinstance(value, str) else ""
    return found


def codes(text: str) -> list[str]:
    """Codes typed one per line or separated by commas, semicolons or spaces."""
    return [code for code in re.split(r"[\s,;]+", text) if code]


def field_errors(exc: ValidationError) -> dict[str, str]:
    """The first French message of each faulty field, by its own name (not its path); an item
    of a list (a code) is named by its value."""
    errors: dict[str, str] = {}
    for error in exc.errors():
        names = [part for part in error["loc"] if isinstance(part, str) and part != "body"]
        if error["type"] == "forbidden_category":
            names.append(str((error.get("ctx") or {}).get("field", "")))
        if not names:
            continue
        message = sentence(validation_message(error))
        if any(isinstance(part, int) for part in error["loc"]):
            message = f"« {error['input']} » : {message[0].lower()}{message[1:]}"
        errors.setdefault(names[-1], message)
    return errors


def checked(model: type[Model], data: Mapping[str, Any]) -> tuple[Model | None, dict[str, str]]:
    """The body model built from the form (empty fields left out), or the errors by field."""
    present = {name: value for name, value in data.items() if value not in ("", None)}
    try:
        return model.model_validate(present), {}
    except ValidationError as exc:
        return None, field_errors(exc)


def refusal(error: DomainError, known: Iterable[str]) -> dict[str, str]:
    """A service's refusal by the form's fields it names; any other refusal under `_form`."""
    fields = set(known)
    found = {name: sentence(text) for name, text in error.fields.items() if name in fields}
    return found or {"_form": error.message}
