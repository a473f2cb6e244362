"""What the step declarations give the rest of the system: check, apply, offer, authorise."""

from __future__ import annotations

from datetime import datetime

from filrouge.core.cases.declaration import Step, StepDeclaration
from filrouge.core.cases.pathway import AuditEvent, CaseState, StepRejected
from filrouge.core.cases.steps import BY_INPUT, STEPS
from filrouge.core.cases.transitions import Transition, plain
from filrouge.core.domain import Role


def declaration_of(step: Step) -> StepDeclaration:
    """The declaration of this step input; StepRejected when no step has this input."""
    found = BY_INPUT.get(type(step))
    if found is None:
        raise StepRejected("Action inconnue.")
    return found


def check_step(state: CaseState, step: Step) -> None:
    """Raise StepRejected if `step` is not allowed in the current state (workflow validator)."""
    declaration_of(step).check_step(state, step)


def apply_step(state: CaseState, step: Step, now: datetime, key: str) -> list[AuditEvent]:
    """Apply an allowed step to `state` (mutated) and return the audit events it causes."""
    declaration = declaration_of(step)
    declaration.check_step(state, step)
    t = Transition(state, now, key)
    if declaration.recorded is not None:
        data = declaration.recorded(step)
    else:
        data = {k: v for k, v in plain(step).items() if k != "actor"}
    t.record(declaration.audit, data, step.actor)
    declaration.effect(t, step)
    state.last_activity_at = now
    state.version += 1
    return t.events


def allowed_steps(state: CaseState, role: Role) -> list[StepDeclaration]:
    """The steps a user in `role` may take on this case now (those with an HTTP route)."""
    return [d for d in STEPS if d.route is not None and role in d.roles and _state_allows(d, state)]


def _state_allows(declaration: StepDeclaration, state: CaseState) -> bool:
    try:
        declaration.check_state(state)
    except StepRejected:
        return False
    return True


def endpoint_roles() -> dict[str, frozenset[Role]]:
    """The access-table entries of the step routes: endpoint name -> roles allowed."""
    return {d.endpoint: d.roles for d in STEPS if d.endpoint is not None}


# The declaration behind each workflow update name (the workflow's step handler, the pages).
BY_UPDATE: dict[str, StepDeclaration] = {d.update: d for d in STEPS}
