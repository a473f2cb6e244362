"""The step form component: every step with a route gets a form in French from its declaration,
and what that form posts is the API's body for the step."""

from __future__ import annotations

from datetime import UTC
from typing import Any

import pytest

from api.pages.steps import body_of, form_fields, step_form
from api.steps import body_model
from filrouge.core.cases.declaration import StepDeclaration
from filrouge.core.cases.steps import STEPS
from tests.support.steps import with_placeholders

ROUTED = [d for d in STEPS if d.route is not None]


def _flat(fields: list[Any]) -> list[Any]:
    return [s for f in fields for s in ([x for row in f.rows for x in row] if f.rows else [f])]


def _posted(example: dict[str, Any], prefix: str = "") -> dict[str, str]:
    """A request body as a browser posts it: dotted names, text values."""
    posted: dict[str, str] = {}
    for name, value in example.items():
        if isinstance(value, list):
            for i, item in enumerate(value):
                posted |= _posted(item, f"{prefix}{name}.{i}.")
        elif isinstance(value, bool):
            posted[prefix + name] = "true" if value else "false"
        else:
            posted[prefix + name] = str(value)
    return posted


@pytest.mark.parametrize("step", ROUTED, ids=lambda d: d.update)
def test_every_step_with_a_route_has_a_french_form(step: StepDeclaration) -> None:
    form = step_form(step, "/dossiers/c/etapes/x", "#suivi")
    assert {f.name for f in form.fields} == set(body_model(step).model_fields)
    for field in _flat(form.fields):
        assert field.label != field.name.rsplit(".", 1)[-1], f"no French label for {field.name}"
        for choice in field.choices:
            assert "_" not in choice.label, f"no French label for {field.name}={choice.value}"
    assert step.route is not None
    example = with_placeholders(step.route.example, {"referent_id": "u-referent"})
    model = body_model(step)
    posted = model.model_validate(body_of(form, _posted(example), UTC))
    assert posted.model_dump() == model.model_validate(example).model_dump(), "the API's body"


def test_a_contact_attempt_takes_two_clicks() -> None:
    attempt = next(d for d in ROUTED if d.update == "record_contact_attempt")
    fields = form_fields(attempt, {})
    widgets = {f.name: f.widget for f in fields}
    assert widgets == {"channel": "radios", "result": "buttons"}, "a channel, then a result"
