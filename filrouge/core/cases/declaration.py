"""What a human step is made of: the one declaration the workflow, the API and the pages read.

A `StepDeclaration` holds a step's input type, the roles that may take it, the stages it is
allowed in (with its precondition and French refusal), its effect, its audit name, its French
label and its HTTP route. `filrouge.core.cases.steps` declares every step with it.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from filrouge.core.cases.pathway import STAGE_LABELS, CaseState, StepRejected
from filrouge.core.domain import OPEN_STAGES, Actor, Role, Stage

if TYPE_CHECKING:
    from filrouge.core.cases.transitions import Transition

STAFF = frozenset({Role.REFERENT, Role.COORDINATEUR})
COORDINATOR = frozenset({Role.COORDINATEUR})
ANY_STAGE = frozenset(Stage)
OPEN = OPEN_STAGES


class Step(Protocol):
    """Any human step's input: a dataclass whose first field is the actor."""

    actor: Actor


@dataclass(frozen=True)
class Text:
    """A text field of the request body: its length bounds (HTTP validation only)."""

    max_length: int
    min_length: int = 0


@dataclass(frozen=True)
class Items:
    """A list field of the request body: how many items it takes (HTTP validation only)."""

    min_length: int
    max_length: int


FieldRule = Text | Items
SHORT_TEXT = Text(max_length=200, min_length=1)
NOTE = Text(max_length=2000, min_length=1)


@dataclass(frozen=True)
class Route:
    """The HTTP door of a step: `POST /cases/{case_id}/<path>`.

    `name` is the endpoint's name in the access table (defaults to the update name);
    `fields` bounds the body's text and list fields (dotted for nested items);
    `resolved` are input fields the API fills itself (never sent by the caller);
    `summary` is the endpoint's one-line description in the API documentation;
    `example` is a valid body (ids the API checks are placeholders), which the tests that
    exercise every route send, so a new step needs no entry in them.
    """

    path: str
    summary: str
    name: str = ""
    fields: dict[str, FieldRule] = field(default_factory=dict)
    resolved: tuple[str, ...] = ()
    example: dict[str, Any] = field(default_factory=dict)


# The step is sent by the system (intake, referrals), never through its own HTTP route.
NO_ROUTE = None


def require(condition: bool, message: str, field: str | None = None) -> None:
    """Refuse the step with a French message shown to the user (HTTP 409), naming the input
    `field` at fault when there is one."""
    if not condition:
        raise StepRejected(message, field)


@dataclass(frozen=True)
class StepDeclaration:
    """One human step, declared once (see the module docstring)."""

    input: type
    update: str
    audit: str
    label: str
    roles: frozenset[Role]
    effect: Callable[[Transition, Any], None]
    route: Route | None
    stages: frozenset[Stage] = ANY_STAGE
    stage_refusal: str | None = None
    precondition: Callable[[CaseState], None] | None = None
    check: Callable[[CaseState, Any], None] | None = None
    # What its audit event holds (default: every input field but the actor).
    recorded: Callable[[Any], dict[str, Any]] | None = None
    # The input fields that hold text typed by a person (dotted for the items of a list):
    # personal data, sealed in the audit chain and erased with the case (`core.audit`).
    personal: tuple[str, ...] = ()

    @property
    def endpoint(self) -> str | None:
        """The endpoint name of its route in the access table (None: no route)."""
        if self.route is None:
            return None
        return self.route.name or self.update

    def check_state(self, state: CaseState) -> None:
        """Raise StepRejected when the case's state does not allow this step now."""
        if state.stage not in self.stages:
            raise StepRejected(self.stage_refusal or self._stage_message(state))
        if self.precondition is not None:
            self.precondition(state)

    def check_step(self, state: CaseState, step: Any) -> None:
        """Raise StepRejected when this input is not allowed in this state."""
        self.check_state(state)
        if self.check is not None:
            self.check(state, step)

    def _stage_message(self, state: CaseState) -> str:
        names = ", ".join(STAGE_LABELS[s] for s in _in_pathway_order(self.stages))
        return (
            f"Action « {self.label} » impossible : le dossier est à l'étape "
            f"« {STAGE_LABELS[state.stage]} » (étapes possibles : {names})."
        )


def _in_pathway_order(stages: Collection[Stage]) -> list[Stage]:
    return [s for s in Stage if s in stages]
