"""The step declarations and everything derived from them agree; the steps offered now."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Iterator
from datetime import date, timedelta

import pytest
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute
from temporalio.workflow import _Definition

from api.access import ENDPOINT_ROLES
from api.app import create_app
from api.steps import body_model
from filrouge.core.cases.declaration import StepDeclaration
from filrouge.core.cases.pathway import (
    STAGE_LABELS,
    CaseState,
    DeadlineKind,
    Rule,
    StepRejected,
    fire_deadline,
    obligation_until,
)
from filrouge.core.cases.registry import BY_UPDATE, allowed_steps, endpoint_roles
from filrouge.core.cases.steps import (
    STEPS,
    ConfirmEntryInput,
    DecideInput,
    RecordContactAttemptInput,
    RecordContactOutcomeInput,
    RecordInterviewInput,
    RecordSummonsInput,
    ReidentifyInput,
    ScheduleInterviewInput,
)
from filrouge.core.domain import (
    Actor,
    AttemptResult,
    Channel,
    ContactOutcome,
    Decision,
    Role,
    Stage,
)
from filrouge.core.retention import obligation_running
from tests.filrouge.core.cases.test_pathway import (
    COORD,
    MINOR_BIRTH,
    REFERENT,
    T0,
    Case,
    assigned,
    in_decision,
    new_case,
    states_at_every_stage,
)
from workflows.case import CaseWorkflow

WORKFLOW = _Definition.must_from_class(CaseWorkflow)


def api_routes(
    routes: Iterable[BaseRoute], outer: str = "", own: str = ""
) -> Iterator[tuple[str, APIRoute]]:
    """Every API route with its full path (included routers flattened)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield outer + route.path, route
        elif hasattr(route, "original_router"):
            child = route.original_router
            yield from api_routes(child.routes, outer + own, child.prefix)


STEP_ROUTES = {
    route.name: (path, route)
    for path, route in api_routes(create_app().routes)
    if path.startswith("/cases/{case_id}/")
}
NOT_STEPS = {"ready"}  # the workflow's own update, used right after creation


def test_one_update_handler_with_its_validator_takes_every_declared_step() -> None:
    """The workflow's step handler decodes an update to the input of the declaration of
    that name (BY_UPDATE): a step is declared once, and nothing else to add to the workflow.
    The workflow tests send every step through it (tests/workflows/)."""
    steps = WORKFLOW.updates[None]  # the dynamic handler: every name but `ready`
    assert steps.validator is not None
    assert set(WORKFLOW.updates) == {None, *NOT_STEPS}
    assert {name: d.input for name, d in BY_UPDATE.items()} == {d.update: d.input for d in STEPS}


@pytest.mark.parametrize("declaration", STEPS, ids=lambda d: d.update)
def test_every_declaration_has_a_route_or_says_it_has_none(
    declaration: StepDeclaration,
) -> None:
    if declaration.route is None:
        assert declaration.endpoint is None
        assert declaration.update not in STEP_ROUTES
        return
    path, route = STEP_ROUTES[declaration.endpoint or ""]
    assert path == f"/cases/{{case_id}}/{declaration.route.path}"
    assert route.methods == {"POST"}
    assert ENDPOINT_ROLES[route.name] == declaration.roles
    body = route.body_field
    assert body is not None
    annotation = body.field_info.annotation
    assert annotation is not None
    assert annotation.__name__ == body_model(declaration).__name__
    assert set(annotation.model_fields) == set(body_model(declaration).model_fields)


@pytest.mark.parametrize("declaration", STEPS, ids=lambda d: d.update)
def test_the_body_is_the_input_without_the_actor_and_the_resolved_fields(
    declaration: StepDeclaration,
) -> None:
    if declaration.route is None:
        pytest.skip("no HTTP route")
    names = [f.name for f in dataclasses.fields(declaration.input)]
    sent = [n for n in names if n != "actor" and n not in declaration.route.resolved]
    assert list(body_model(declaration).model_fields) == sent
    assert names[0] == "actor"
    rules = {rule.split(".")[0] for rule in declaration.route.fields}
    assert rules <= set(sent), "a field rule names a field the body does not have"


ROUTED = [d for d in STEPS if d.route is not None]


@pytest.mark.parametrize("declaration", ROUTED, ids=lambda d: d.update)
def test_the_example_body_is_a_valid_request(declaration: StepDeclaration) -> None:
    """The tests that call every route send this example: it must pass the body's checks."""
    assert declaration.route is not None
    body = body_model(declaration).model_validate(declaration.route.example)
    required = {n for n, f in body_model(declaration).model_fields.items() if f.is_required()}
    assert required <= set(declaration.route.example)
    assert body is not None


def test_nothing_exists_that_is_not_declared() -> None:
    declared = {d.update for d in STEPS}
    assert len(declared) == len(STEPS)
    step_endpoints = {d.endpoint for d in STEPS if d.endpoint}
    case_scoped_posts = {n for n, (_, r) in STEP_ROUTES.items() if r.methods == {"POST"}}
    others = {"add_note", "erase_on_request"}  # case-scoped POSTs that are not pathway steps
    assert case_scoped_posts - others == step_endpoints
    assert endpoint_roles() == {n: ENDPOINT_ROLES[n] for n in step_endpoints}
    assert len({d.input for d in STEPS}) == len({d.audit for d in STEPS}) == len(STEPS)
    assert BY_UPDATE["decide"].input is DecideInput


@pytest.mark.parametrize("declaration", STEPS, ids=lambda d: d.update)
def test_every_declaration_speaks_french(declaration: StepDeclaration) -> None:
    assert declaration.label and declaration.label == declaration.label.lower()
    assert declaration.roles and declaration.stages


def test_every_stage_has_a_french_label() -> None:
    assert set(STAGE_LABELS) == set(Stage)


# ---------------------------------------------------------------- steps allowed now


def offered(state: CaseState, role: Role) -> set[str]:
    return {d.update for d in allowed_steps(state, role)}


def test_a_referent_is_offered_the_steps_of_the_current_stage() -> None:
    case = assigned()
    assert offered(case.state, Role.REFERENT) == {
        "record_contact_attempt",
        "record_contact_outcome",
        "close_case",
        "record_summons",
    }


def test_only_the_coordinator_is_offered_to_assign_and_decide() -> None:
    case = in_decision()
    assert "decide" in offered(case.state, Role.COORDINATEUR)
    assert "decide" not in offered(case.state, Role.REFERENT)
    assert "assign_referent" in offered(case.state, Role.COORDINATEUR)
    assert "assign_referent" not in offered(case.state, Role.REFERENT)


def test_a_closed_case_only_offers_to_reopen_it() -> None:
    closed = states_at_every_stage()["cloture"]
    assert offered(closed, Role.COORDINATEUR) == {"reopen_case"}


def test_the_interview_result_is_offered_once_it_is_scheduled() -> None:
    bilan = states_at_every_stage()["bilan"]
    assert "record_interview" not in offered(bilan, Role.REFERENT)
    assert "schedule_interview" in offered(bilan, Role.REFERENT)


def test_steps_without_a_route_and_other_roles_are_never_offered() -> None:
    for state in states_at_every_stage().values():
        assert "reidentify" not in offered(state, Role.COORDINATEUR)
        assert offered(state, Role.PARTENAIRE) == set()
        assert offered(state, Role.PILOTE) == set()


def test_every_offered_step_passes_its_stage_check_and_the_others_do_not() -> None:
    for state in states_at_every_stage().values():
        allowed = {d.update for d in allowed_steps(state, Role.COORDINATEUR)}
        for declaration in STEPS:
            if declaration.route is None:
                continue
            ok = state.stage in declaration.stages
            if declaration.update in allowed:
                assert ok
            elif ok:
                assert declaration.precondition is not None


# ---------------------------------------------------------------- timer effects


def test_the_obligation_ends_at_18_as_a_timer_effect() -> None:
    case = Case(new_case(birth_date=MINOR_BIRTH))
    case.do(RecordSummonsInput(REFERENT, date(2025, 3, 5)))
    ends = case.deadline(DeadlineKind.OBLIGATION_ENDS)
    assert obligation_until(case.state.summons_on, MINOR_BIRTH, date(2025, 6, 1)) == date(
        2026, 1, 10
    )
    event = fire_deadline(case.state, ends, ends.at)
    assert event is not None and event.kind == "timer_fired"
    assert event.data["deadline"] == "obligation_ends"
    assert case.state.summons_on is None
    assert fire_deadline(case.state, ends, ends.at) is None  # fires once


def test_obligation_running_reads_the_history_as_the_state_does() -> None:
    case = Case(new_case(birth_date=MINOR_BIRTH))
    events = [(e.kind, e.data) for e in case.do(RecordSummonsInput(REFERENT, date(2025, 3, 5)))]
    today = date(2025, 6, 1)
    assert obligation_running(events, MINOR_BIRTH, today) == date(2026, 1, 10)
    ends = case.deadline(DeadlineKind.OBLIGATION_ENDS)
    fired = fire_deadline(case.state, ends, ends.at)
    assert fired is not None
    events.append((fired.kind, fired.data))
    assert obligation_running(events, MINOR_BIRTH, today) is None
    assert obligation_running(events[:1], MINOR_BIRTH, ends.at.date() + timedelta(days=1)) is None


def test_a_rejected_step_names_the_stages_in_french() -> None:
    case = assigned()
    expected = "« prise de contact » (étapes possibles : décision)."
    with pytest.raises(StepRejected, match=re.escape(expected)):
        case.do(DecideInput(COORD, Decision.VALIDER))
    with pytest.raises(StepRejected, match="étapes possibles : entrée en solution"):
        case.do(ConfirmEntryInput(REFERENT, True))
    partner = Actor("u-p", Role.PARTENAIRE)
    events = case.do(ReidentifyInput(partner, case.state.source, case.now))
    assert [e.kind for e in events] == ["reidentified"]


RAW_STAGE_CODE = re.compile(r"\b(?:a_router|decision|entree|cloture)\b|\b[a-z]+_[a-z_]+\b")


def test_no_refusal_at_any_stage_shows_a_stage_code() -> None:
    """Every 409 a step can meet (stage, precondition) speaks the stages' French labels."""
    seen = 0
    for state in states_at_every_stage().values():
        for declaration in STEPS:
            try:
                declaration.check_state(state)
            except StepRejected as refused:
                seen += 1
                assert not RAW_STAGE_CODE.search(str(refused)), (declaration.update, str(refused))
    assert seen > len(STEPS)


def test_the_interview_place_is_kept_by_runs_that_follow_its_rule_only() -> None:
    when = T0 + timedelta(days=3)
    for rules, kept in (([r.value for r in Rule], "CIO Rennes"), ([], None)):
        case = assigned()
        case.state.rules = rules
        case.do(RecordContactAttemptInput(REFERENT, Channel.SMS, AttemptResult.JOINT))
        case.do(RecordContactOutcomeInput(REFERENT, ContactOutcome.ACCEPTE_ENTRETIEN))
        case.do(ScheduleInterviewInput(REFERENT, when, "CIO Rennes"))
        assert case.state.interview_place == kept
        case.do(RecordInterviewInput(REFERENT, held=False))  # a no-show: back to contact
        assert case.state.interview_place == kept
        case.do(RecordContactOutcomeInput(REFERENT, ContactOutcome.ACCEPTE_ENTRETIEN))
        assert case.state.interview_place is None  # a new interview, a new place
