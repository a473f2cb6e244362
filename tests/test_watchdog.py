"""The time limit per test (tests/support/watchdog.py), on a pytest run of its own."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.watchdog import await_chain, limit_from_environment

ROOT = Path(__file__).parent.parent

HUNG_TESTS = """
import asyncio
import time


async def wait_for_an_answer_that_never_comes() -> None:
    await asyncio.Event().wait()


async def test_awaits_forever() -> None:
    await wait_for_an_answer_that_never_comes()


def test_blocks_the_thread() -> None:
    time.sleep(120)


async def test_after_them() -> None:
    await asyncio.sleep(0)
"""


def run_pytest(directory: Path, *args: str) -> subprocess.CompletedProcess[str]:
    settings = ("asyncio_mode=auto", "asyncio_default_test_loop_scope=session")
    options = [option for setting in settings for option in ("-o", setting)]
    environment = os.environ | {"TEST_TIME_LIMIT": "1", "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "tests.support.watchdog", *options, *args],
        cwd=directory,
        env=environment,
        capture_output=True,
        text=True,
        timeout=100,
    )


def test_hung_tests_fail_where_they_wait_and_the_run_goes_on(tmp_path: Path) -> None:
    """As `make test` runs them: in a pytest-xdist process, files kept together."""
    (tmp_path / "test_hung.py").write_text(HUNG_TESTS)
    run = run_pytest(tmp_path, "-p", "no:cacheprovider", "-q", "-n", "1", "--dist", "loadfile")
    output = run.stdout + run.stderr
    assert run.returncode == 1, output
    assert "2 failed, 1 passed" in output, output
    # The awaiting test is cancelled at its await; its failure lists every task's chain.
    assert "CancelledError: test_hung.py::test_awaits_forever ran longer than 1 s" in output
    assert "in wait_for_an_answer_that_never_comes" in output
    # The blocked thread is interrupted where it stood.
    assert "TooLong: test_hung.py::test_blocks_the_thread ran longer than 1 s" in output
    assert "time.sleep(120)" in output
    assert "crashed" not in output  # no process had to end


def test_the_limit_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TEST_TIME_LIMIT", raising=False)
    assert limit_from_environment() == 300
    monkeypatch.setenv("TEST_TIME_LIMIT", "45")
    assert limit_from_environment() == 45
    monkeypatch.setenv("TEST_TIME_LIMIT", "cinq minutes")
    with pytest.raises(pytest.UsageError, match="must be a number of seconds"):
        limit_from_environment()


async def test_the_chain_of_awaits_ends_at_what_the_innermost_coroutine_waits_on() -> None:
    async def inner(event: asyncio.Event) -> None:
        await event.wait()

    async def outer(event: asyncio.Event) -> None:
        await inner(event)

    event = asyncio.Event()
    task = asyncio.create_task(outer(event))
    await asyncio.sleep(0)
    chain = await_chain(task.get_coro())
    event.set()
    await task
    assert [line.rsplit(" in ", 1)[-1] for line in chain[:3]] == ["outer", "inner", "wait"]
    assert chain[-1].startswith("waiting on ")
