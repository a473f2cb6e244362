"""The form of a human step, derived from its `StepDeclaration`: one component for every page.

The fields are the step's input fields as the API's body has them (no actor, nothing the API
resolves itself), with French labels (`api/pages/labels.py`). What is posted is checked by the
API's own body model (`api.steps.body_model`) and sent through `CaseService.run_step`, so a
page never holds a second copy of a rule; a refusal comes back as the French message, tied to
its field when it names one. Render a form with `templates/pages/steps/form.html`
(`step_form(form)`); the page that shows it chooses where it posts and what htmx replaces.
"""

from __future__ import annotations

import dataclasses
import re
import types
import typing
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from enum import StrEnum
from typing import Any

from pydantic import ValidationError

from api.deps import CurrentUserInfo
from api.errors import status_of, validation_details
from api.pages.labels import BOOL_LABELS, choice_label, field_label
from api.steps import RESOLVERS, body_model, step_input
from filrouge.core.cases.declaration import Items, StepDeclaration, Text
from filrouge.core.cases.registry import BY_UPDATE
from filrouge.core.domain import StepResult
from filrouge.core.errors import Conflict, DomainError, Forbidden, Invalid, Unavailable
from filrouge.services.cases.service import CaseService

# A required choice with at most this many options is answered by its buttons: one click.
MAX_BUTTONS = 5
MAX_RADIOS = 6  # more choices: a list to choose from
# How many items of a list (the solutions of a proposal) the form offers.
MAX_ITEMS_SHOWN = 3
LEADING_NAME = re.compile(r"^« [^»]* » : ")  # the API's details begin with the field's name
KEY_FIELD = "cle"  # the form's idempotency key: a double click never records a step twice


@dataclass(frozen=True)
class Choice:
    value: str
    label: str


@dataclass(frozen=True)
class FormField:
    """One field of a step's form; `name` is dotted for an item's field (solutions.0.type)."""

    name: str
    label: str
    widget: str  # buttons, radios, select, date, datetime, text, textarea, items
    required: bool
    choices: tuple[Choice, ...] = ()
    max_length: int | None = None
    rows: tuple[tuple[FormField, ...], ...] = ()  # widget "items": the fields of each item

    @property
    def html_id(self) -> str:
        return self.name.replace(".", "-").replace("_", "-")


@dataclass
class StepForm:
    """A step's form as a page shows it: where it posts, what htmx replaces, its answer."""

    declaration: StepDeclaration
    action: str
    target: str
    fields: list[FormField]
    values: Mapping[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    error: str | None = None
    key: str = field(default_factory=lambda: uuid.uuid4().hex)
    scope: str = ""  # set when a page shows the same step for many cases: unique element ids

    @property
    def name(self) -> str:
        return self.declaration.update

    @property
    def id(self) -> str:
        scope = f"{self.scope}-" if self.scope else ""
        return f"etape-{scope}" + self.name.replace("_", "-")

    @property
    def title(self) -> str:
        label = self.declaration.label.replace("'", "’")
        return label[:1].upper() + label[1:]

    @property
    def buttons(self) -> FormField | None:
        """The field answered by its buttons (the last short required choice), if any."""
        found = [f for f in self.fields if f.widget == "buttons"]
        return found[-1] if found else None

    @property
    def others(self) -> list[FormField]:
        return [f for f in self.fields if f is not self.buttons]

    def value(self, name: str) -> str:
        return self.values.get(name, "")

    def field_error(self, name: str) -> str | None:
        return self.errors.get(name)


def declaration(name: str) -> StepDeclaration | None:
    """The declared step with a route whose update name is `name`."""
    found = BY_UPDATE.get(name)
    return found if found is not None and found.route is not None else None


def step_form(
    step: StepDeclaration,
    action: str,
    target: str,
    *,
    options: Mapping[str, Sequence[Choice]] | None = None,
    scope: str = "",
) -> StepForm:
    """The empty form of `step`; `options` lists the choices of a field the page knows (the
    référents of the platform for an assignment); `scope` (a case id) keeps the element ids
    unique when a page shows the same step for several cases."""
    fields = form_fields(step, options or {})
    return StepForm(step, action, target, fields, scope=scope)


def form_fields(step: StepDeclaration, options: Mapping[str, Sequence[Choice]]) -> list[FormField]:
    """The fields of a step's form, from its input dataclass and its route's field rules."""
    assert step.route is not None
    hidden = {"actor", *step.route.resolved}
    fields = _fields(step.input, step.update, step.route.fields, "", hidden, options)
    choices = [f for f in fields if f.widget in ("radios", "select") and f.required]
    short = [f for f in choices if f.name not in options and len(f.choices) <= MAX_BUTTONS]
    if short:
        last = short[-1]
        fields[fields.index(last)] = dataclasses.replace(last, widget="buttons")
    return fields


def _fields(
    cls: type,
    step: str,
    rules: Mapping[str, Any],
    prefix: str,
    hidden: set[str],
    options: Mapping[str, Sequence[Choice]],
) -> list[FormField]:
    hints = typing.get_type_hints(cls)
    out = []
    for f in dataclasses.fields(cls):
        if f.name in hidden:
            continue
        tp, required = _unwrap(hints[f.name])
        required = required and f.default is dataclasses.MISSING
        required = required and f.default_factory is dataclasses.MISSING
        name = prefix + f.name
        rule = rules.get(_rule_path(name))
        label = field_label(step, f.name)
        out.append(_field(tp, name, label, required, rule, step, rules, options))
    return out


def _field(
    tp: Any,
    name: str,
    label: str,
    required: bool,
    rule: Any,
    step: str,
    rules: Mapping[str, Any],
    options: Mapping[str, Sequence[Choice]],
) -> FormField:
    if name in options:
        return FormField(name, label, "select", required, tuple(options[name]))
    if isinstance(tp, type) and issubclass(tp, StrEnum):
        choices = tuple(Choice(v.value, _capital(choice_label(tp, v.value))) for v in tp)
        widget = "radios" if len(choices) <= MAX_RADIOS else "select"
        return FormField(name, label, widget, required, choices)
    if tp is bool:
        yes, no = BOOL_LABELS.get(name, ("Oui", "Non"))
        choices = (Choice("true", yes), Choice("false", no))
        return FormField(name, label, "radios", required, choices)
    if tp is datetime:
        return FormField(name, label, "datetime", required)
    if tp is date:
        return FormField(name, label, "date", required)
    if typing.get_origin(tp) is list:
        (item,) = typing.get_args(tp)
        shown = min(MAX_ITEMS_SHOWN, rule.max_length if isinstance(rule, Items) else 1)
        rows = tuple(
            tuple(
                f if i == 0 and required else dataclasses.replace(f, required=False)
                for f in _fields(item, step, rules, f"{name}.{i}.", set(), options)
            )
            for i in range(shown)
        )
        return FormField(name, label, "items", required, rows=rows)
    max_length = rule.max_length if isinstance(rule, Text) else None
    widget = "textarea" if max_length and max_length > 200 else "text"
    return FormField(name, label, widget, required, max_length=max_length)


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _rule_path(name: str) -> str:
    """The route's field-rule path of a form field: solutions.0.structure -> solutions.structure."""
    return ".".join(part for part in name.split(".") if not part.isdigit())


def _unwrap(tp: Any) -> tuple[Any, bool]:
    """The type inside an optional one, and whether the field is required."""
    union = typing.get_origin(tp) in (typing.Union, types.UnionType)
    if union and type(None) in typing.get_args(tp):
        return next(a for a in typing.get_args(tp) if a is not type(None)), False
    return tp, True


# ---------------------------------------------------------------- answering a posted form


class StepRefused(Exception):
    """The step was not recorded: French messages by field, or for the whole form."""

    def __init__(self, errors: dict[str, str], message: str | None, status_code: int) -> None:
        super().__init__(message or "; ".join(errors.values()))
        self.errors, self.message, self.status_code = errors, message, status_code


def posted_values(form: StepForm, data: Mapping[str, Any]) -> dict[str, str]:
    """The posted text of each of the form's fields (to show them again with the errors)."""
    names = [f.name for f in _flat(form.fields)]
    return {n: str(data.get(n, "")).strip() for n in names if data.get(n)}


def body_of(form: StepForm, values: Mapping[str, str], zone: tzinfo) -> dict[str, Any]:
    """The step's request body, as the API receives it, from the posted values."""
    body: dict[str, Any] = {}
    for f in form.fields:
        if f.widget == "items":
            items = [_row(row, values, zone) for row in f.rows]
            body[f.name] = [item for item in items if item]
        elif values.get(f.name):
            body[f.name] = _value(f, values[f.name], zone)
    return body


def _row(row: Sequence[FormField], values: Mapping[str, str], zone: tzinfo) -> dict[str, Any]:
    return {
        f.name.rsplit(".", 1)[-1]: _value(f, values[f.name], zone)
        for f in row
        if values.get(f.name)
    }


def _value(f: FormField, text: str, zone: tzinfo) -> Any:
    """A datetime typed in the platform's zone (a datetime-local field has none)."""
    if f.widget == "datetime":
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            return text  # refused by the body model, in French
        return (moment if moment.tzinfo else moment.replace(tzinfo=zone)).isoformat()
    return text


async def submit(
    service: CaseService,
    user: CurrentUserInfo,
    case_id: str,
    form: StepForm,
    data: Mapping[str, Any],
    zone: tzinfo,
) -> StepResult:
    """Check the posted form with the API's body model and run the step; StepRefused with the
    French reasons when it is not recorded (NotFound passes through: the page answers 404)."""
    values = posted_values(form, data)
    try:
        body = body_model(form.declaration).model_validate(body_of(form, values, zone))
    except ValidationError as exc:
        raise StepRefused(_by_field(form, validation_details(exc.errors())), None, 422) from exc
    key = str(data.get(KEY_FIELD, ""))[:100] or None
    try:
        resolve = RESOLVERS.get(form.declaration.update)
        resolved = await resolve(service, user, case_id, body) if resolve else {}
        step = step_input(form.declaration, body, user.actor, resolved)
        return await service.run_step(user, case_id, step, key)
    except (Conflict, Invalid, Forbidden, Unavailable) as exc:
        raise _refusal(form, exc, status_of(exc)[0]) from exc


def _by_field(form: StepForm, details: list[dict[str, str]]) -> dict[str, str]:
    names = {f.name for f in _flat(form.fields)} | {f.name for f in form.fields}
    errors: dict[str, str] = {}
    for detail in details:
        if detail["field"] in names:
            errors.setdefault(detail["field"], field_message(detail["message"]))
        else:
            errors.setdefault("", _capital(detail["message"]) + ".")
    return errors


def field_message(message: str) -> str:
    """An API detail's message shown beside its field: without the field's name, a sentence."""
    return _capital(LEADING_NAME.sub("", message)) + "."


def _refusal(form: StepForm, error: DomainError, status: int) -> StepRefused:
    """The refusal by the field it names (`DomainError.fields`) when the form shows that field;
    else for the whole form."""
    shown = {f.name for f in form.fields}
    errors = {name: text for name, text in error.fields.items() if name in shown}
    if errors:
        return StepRefused(errors, None, status)
    return StepRefused({}, error.message, status)


def refused_form(form: StepForm, refused: StepRefused, data: Mapping[str, Any]) -> StepForm:
    """The form again, with what was typed, its errors and a new key."""
    errors = dict(refused.errors)
    message = errors.pop("", None) or refused.message
    if errors and message is None:
        message = "Le formulaire contient des erreurs : corrigez les champs signalés."
    values = posted_values(form, data)
    return dataclasses.replace(
        form, values=values, errors=errors, error=message, key=uuid.uuid4().hex
    )


def _flat(fields: Sequence[FormField]) -> list[FormField]:
    """Every field a form posts: the items' fields instead of their list."""
    out: list[FormField] = []
    for f in fields:
        if f.widget == "items":
            out.extend(item for row in f.rows for item in row)
        else:
            out.append(f)
    return out
