"""Every activity stub a workflow calls has an implementation registered by the worker, under
the same name, with the same input and result types (they are matched by name only)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine
from temporalio.activity import _Definition
from temporalio.testing import WorkflowEnvironment

from filrouge.core import digest, intake_contracts, retention
from filrouge.core.cases import contracts
from filrouge.settings import SmtpSettings
from startup.worker import build_worker

STUB_MODULES = (contracts, intake_contracts, retention, digest)


def stubs() -> dict[str, _Definition]:
    """The activity stubs the workflows call, by activity name."""
    found = {}
    for module in STUB_MODULES:
        for value in vars(module).values():
            definition = _Definition.from_callable(value) if callable(value) else None
            if definition is not None:
                found[definition.name] = definition
    return found


def signature(definition: _Definition) -> tuple[Any, ...]:
    return (tuple(definition.arg_types or ()), definition.ret_type)


@pytest.fixture
async def registered(time_skipping_env: WorkflowEnvironment) -> dict[str, _Definition]:
    engine = create_async_engine("sqlite+aiosqlite://")
    worker = build_worker(
        time_skipping_env.client,
        "contracts-check",
        async_sessionmaker(engine),
        SmtpSettings(),
        "http://filrouge.localhost",
    )
    activities: list[Callable[..., Any]] = list(worker.config()["activities"])
    await engine.dispose()
    return {d.name: d for d in map(_Definition.must_from_callable, activities)}


async def test_every_stub_has_an_implementation_with_its_signature(
    registered: dict[str, _Definition],
) -> None:
    declared = stubs()
    assert len(declared) >= 11
    assert set(declared) == set(registered), "a stub without implementation, or the reverse"
    mismatched = {
        name: (signature(stub), signature(registered[name]))
        for name, stub in declared.items()
        if signature(stub) != signature(registered[name])
    }
    assert not mismatched, f"stub and implementation disagree: {mismatched}"
