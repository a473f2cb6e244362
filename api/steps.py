"""HTTP routes of the human steps, derived from their declarations (`filrouge.core.cases.steps`).

Every declared step with a route gets `POST /cases/{case_id}/<path>`: its body is built from
the step's input dataclass (minus the actor and the fields the API resolves itself), bounded by
the declaration's field rules, and the route sends the step to the case workflow's update of
the same declaration. Steps that need a lookup before being sent have a resolver below.
"""

# No `from __future__ import annotations` here: the generated endpoints' annotations must be
# the real body classes, which FastAPI reads to validate and document each body.

import dataclasses
import types
import typing
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated, Any, Union

from fastapi import APIRouter
from pydantic import BaseModel, Field, create_model

from api.deps import CurrentUser, CurrentUserInfo, IdempotencyKey
from api.schemas import AwareDatetime, Body, StepOut
from filrouge.core.cases.declaration import FieldRule, Items, StepDeclaration, Text
from filrouge.core.cases.steps import STEPS
from filrouge.core.domain import Actor
from filrouge.services.cases.service import CaseService

Resolver = Callable[[CaseService, CurrentUserInfo, str, Any], Awaitable[dict[str, Any]]]


async def _resolve_assignment(
    service: CaseService, user: CurrentUserInfo, case_id: str, body: Any
) -> dict[str, Any]:
    """The référent's structure; they must be an active référent of the caller's platform."""
    await service.get(user, case_id)
    return {"structure_id": await service.referent_structure(user, body.referent_id)}


# Input fields a step's route fills itself before sending it (`Route.resolved`).
RESOLVERS: dict[str, Resolver] = {"assign_referent": _resolve_assignment}


def step_router(service: Any) -> APIRouter:
    """One POST route per declared step that has one; `service` is the CaseService dependency."""
    router = APIRouter()
    for declaration in STEPS:
        if declaration.route is None:
            continue
        router.add_api_route(
            f"/{{case_id}}/{declaration.route.path}",
            _endpoint(declaration, service),
            methods=["POST"],
            name=declaration.endpoint,
            response_model=StepOut,
            description=declaration.route.summary,
        )
    return router


def _endpoint(declaration: StepDeclaration, service_dependency: Any) -> Any:
    body_type = body_model(declaration)
    resolve = RESOLVERS.get(declaration.update)

    async def endpoint(
        case_id: str,
        body: body_type,  # type: ignore[valid-type]
        user: CurrentUser,
        service: service_dependency,  # type: ignore[valid-type]
        key: IdempotencyKey = None,
    ) -> StepOut:
        resolved = await resolve(service, user, case_id, body) if resolve else {}
        step = step_input(declaration, body, user.actor, resolved)
        result: StepOut = await service.run_step(user, case_id, step, key)  # type: ignore[attr-defined]
        return result

    return endpoint


# ---------------------------------------------------------------- bodies


def body_model(declaration: StepDeclaration) -> type[Body]:
    """The request body of a step's route: its input's fields, minus actor and resolved ones."""
    assert declaration.route is not None
    hidden = {"actor", *declaration.route.resolved}
    name = declaration.input.__name__.removesuffix("Input") + "Body"
    return _model(declaration.input, name, declaration.route.fields, "", hidden)


def _model(
    cls: type, name: str, rules: dict[str, FieldRule], prefix: str, hidden: set[str]
) -> type[Body]:
    hints = typing.get_type_hints(cls)
    fields: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        if f.name in hidden:
            continue
        annotation = _annotation(hints[f.name], rules, prefix + f.name)
        fields[f.name] = (annotation, None if f.default is None else ...)
    model: type[Body] = create_model(name, __base__=Body, **fields)
    return model


def _annotation(tp: Any, rules: dict[str, FieldRule], path: str) -> Any:
    args = typing.get_args(tp)
    if _is_optional(tp):
        inner = next(a for a in args if a is not type(None))
        return _annotation(inner, rules, path) | None
    rule = rules.get(path)
    if tp is str:
        if not isinstance(rule, Text):
            raise TypeError(f"text field {path} needs a Text rule in its step's Route.fields")
        return Annotated[str, Field(max_length=rule.max_length, min_length=rule.min_length or None)]
    if tp is datetime:
        return AwareDatetime
    if typing.get_origin(tp) is list:
        item: Any = args[0]
        if isinstance(item, type) and dataclasses.is_dataclass(item):
            item = _model(item, f"{item.__name__}In", rules, f"{path}.", set())
        if not isinstance(rule, Items):
            raise TypeError(f"list field {path} needs an Items rule in its step's Route.fields")
        return Annotated[list[item], Field(min_length=rule.min_length, max_length=rule.max_length)]  # type: ignore[valid-type]
    return tp


def _is_optional(tp: Any) -> bool:
    union = typing.get_origin(tp) in (Union, types.UnionType)
    return union and type(None) in typing.get_args(tp)


def step_input(
    declaration: StepDeclaration, body: BaseModel, actor: Actor, resolved: dict[str, Any]
) -> Any:
    """The step's input dataclass, built from a validated body and the resolved fields."""
    hints = typing.get_type_hints(declaration.input)
    values = {name: _plain(getattr(body, name), hints[name]) for name in type(body).model_fields}
    return declaration.input(actor=actor, **values, **resolved)


def _plain(value: Any, tp: Any) -> Any:
    """A body value as the input dataclass holds it (nested bodies become dataclasses)."""
    if isinstance(value, list):
        (item,) = typing.get_args(tp)
        return [_plain(v, item) for v in value]
    if isinstance(value, BaseModel) and isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return tp(**dict(value))
    return value
