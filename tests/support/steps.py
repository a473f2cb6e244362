"""Request bodies for every step route, from the step declarations' own examples."""

from __future__ import annotations

from typing import Any

from filrouge.core.cases.steps import STEPS


def with_placeholders(example: dict[str, Any], ids: dict[str, str]) -> dict[str, Any]:
    """The example body with the fields that name something real (a référent) replaced."""
    return {name: ids.get(name, value) for name, value in example.items()}


def step_bodies(ids: dict[str, str]) -> dict[str, dict[str, Any]]:
    """Route path -> a valid body, for every step that has a route."""
    return {
        declaration.route.path: with_placeholders(declaration.route.example, ids)
        for declaration in STEPS
        if declaration.route is not None
    }
