"""A time limit per test: a test that hangs fails within minutes and says where it waited.

Without it, a test stuck on an await that never ends (a CI run once sat 11 minutes in
test_mail_outage.py with every thread idle) holds the run until CI's own limit and says
nothing of where it stood. When a test (set-up and tear-down included) outlives the limit:

1. an asynchronous test's coroutine is cancelled, on the event loop's own thread: the test
   fails with `CancelledError` at the await where it stood, and its captured output lists
   every task's chain of awaits;
2. otherwise (a synchronous test, a hang in a fixture, a loop that does not answer within
   2 s) the main thread is interrupted by a signal: the test fails with `TooLong` where it
   stood, its captured output holding every thread's stack;
3. a test still running a minute later ends its process, every thread's stack written to
   the real standard error. This is the last resort: pytest-xdist reports the test as
   failed ("worker crashed") but runs the file again in a new process, up to 8 times.

In the first two cases the run goes on with the next test. The limit is $TEST_TIME_LIMIT
seconds (300 by default; 0 turns the watchdog off).
"""

from __future__ import annotations

import asyncio
import faulthandler
import inspect
import os
import signal
import sys
import threading
from collections.abc import Callable, Generator
from dataclasses import dataclass
from types import CodeType
from typing import Any

import pytest

# The longest test takes about 25 s on the 2-core machine, and a session's first test starts
# the servers (the SDK gives each up to 60 s).
DEFAULT_LIMIT = 300.0
LIMIT_VARIABLE = "TEST_TIME_LIMIT"
# How long the loop is given to answer, and a cancelled test to end.
LOOP_ANSWER_SECONDS = 2.0
GRACE_SECONDS = 60.0
PLUGIN_NAME = "filrouge-watchdog"


def limit_from_environment() -> float:
    """The limit in seconds ($TEST_TIME_LIMIT, 300 by default; 0 turns the watchdog off)."""
    raw = os.environ.get(LIMIT_VARIABLE, "")
    try:
        return float(raw) if raw else DEFAULT_LIMIT
    except ValueError:
        message = f"{LIMIT_VARIABLE} must be a number of seconds, not {raw!r}"
        raise pytest.UsageError(message) from None


def await_chain(awaitable: object) -> list[str]:
    """Each coroutine of a task's chain of awaits, outermost first, as "file:line in name";
    the last line is what the innermost one waits on (a future, a lock, ...)."""
    chain: list[str] = []
    while awaitable is not None and len(chain) < 100:
        frame = getattr(awaitable, "cr_frame", None) or getattr(awaitable, "gi_frame", None)
        if frame is None:
            chain.append(f"waiting on {awaitable!r}"[:300])
            break
        code = frame.f_code
        chain.append(f"{code.co_filename}:{frame.f_lineno} in {code.co_name}")
        awaitable = getattr(awaitable, "cr_await", None) or getattr(awaitable, "gi_yieldfrom", None)
    return chain


@dataclass
class LoopAnswer:
    tasks: str  # every task's chain of awaits
    cancelled: int  # the test's own tasks that were cancelled


def stop_on_loop(
    loop: asyncio.AbstractEventLoop, test_code: CodeType | None, reason: str
) -> LoopAnswer | None:
    """On the loop's own thread: describe every task, cancel those running `test_code`.
    None when the loop does not answer within LOOP_ANSWER_SECONDS (it is blocked or closed)."""
    answers: list[LoopAnswer] = []
    done = threading.Event()

    def on_loop() -> None:
        lines, cancelled = [], 0
        for task in asyncio.all_tasks(loop):
            lines.append(f"--- {task.get_name()}")
            lines.extend(f"  {where}" for where in await_chain(task.get_coro()))
            if test_code is not None and getattr(task.get_coro(), "cr_code", None) is test_code:
                cancelled += task.cancel(reason)
        answers.append(LoopAnswer("\n".join(lines) + "\n", cancelled))
        done.set()

    try:
        loop.call_soon_threadsafe(on_loop)
    except RuntimeError:  # closed
        return None
    return answers[0] if done.wait(LOOP_ANSWER_SECONDS) else None


def coroutine_code(item: pytest.Item) -> CodeType | None:
    """The code of the test's own coroutine function, None for a synchronous test."""
    function = inspect.unwrap(getattr(item, "obj", None))  # type: ignore[arg-type]
    return function.__code__ if inspect.iscoroutinefunction(function) else None


def _after(seconds: float, call: Callable[..., Any], *args: Any) -> threading.Timer:
    timer = threading.Timer(seconds, call, args=args)
    timer.daemon = True
    timer.start()
    return timer


@pytest.fixture(scope="session", autouse=True)
async def _watched_loop(request: pytest.FixtureRequest) -> None:
    """Shows the watchdog the session's event loop, where the tests' coroutines run."""
    watchdog = request.config.pluginmanager.get_plugin(PLUGIN_NAME)
    if watchdog is not None:
        watchdog.loop = asyncio.get_running_loop()


def pytest_configure(config: pytest.Config) -> None:
    limit = limit_from_environment()
    if limit > 0:
        config.pluginmanager.register(Watchdog(config, limit), PLUGIN_NAME)


class TooLong(Exception):
    """Raised in the main thread of a test that the watchdog could not cancel."""


class Watchdog:
    """Stops the test that outlives `limit` seconds (see the module)."""

    def __init__(self, config: pytest.Config, limit: float) -> None:
        self._config = config
        self.limit = limit
        self.loop: asyncio.AbstractEventLoop | None = None
        # The test being interrupted: set under the lock only while the test runs, so that a
        # test ending just as its time runs out is not interrupted once ended.
        self._interrupting: str | None = None
        self._lock = threading.Lock()
        self._ended = threading.Event()  # the running test's
        # Only the main thread may set a signal handler (pytest and xdist's workers run there).
        self._can_interrupt = threading.current_thread() is threading.main_thread()
        if self._can_interrupt:
            signal.signal(signal.SIGALRM, self._on_alarm)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item) -> Generator[None, object, object]:
        ended = self._ended = threading.Event()
        timer = _after(self.limit, self._expired, item, ended)
        try:
            return (yield)
        finally:
            ended.set()  # first: from here on, the signal's handler raises nothing
            with self._lock:
                self._interrupting = None
            timer.cancel()

    def _expired(self, item: pytest.Item, ended: threading.Event) -> None:
        """First the test's coroutine is cancelled (the loop answers); otherwise the main
        thread is interrupted; the process ends when neither frees it."""
        if ended.is_set():
            return
        reason = f"{item.nodeid} ran longer than {self.limit:.0f} s ({LIMIT_VARIABLE})"
        code = coroutine_code(item)
        # The loop runs only while a coroutine (test or fixture) does: a synchronous test's
        # loop would not answer.
        answer = stop_on_loop(self.loop, code, reason) if self.loop and code else None
        tasks = answer.tasks if answer else "(none running)\n"
        # Written to the test's captured output, shown with its failure.
        if answer and answer.cancelled:
            sys.stderr.write(f"\n*** {reason}: cancelled. Its asyncio tasks:\n{tasks}")
        elif not self._can_interrupt:
            self._exit_unless_ended(reason, ended)
        else:
            sys.stderr.write(f"\n*** {reason}: interrupted. Its asyncio tasks:\n{tasks}")
            sys.stderr.write("*** Its threads:\n")
            sys.stderr.flush()
            faulthandler.dump_traceback(file=sys.stderr, all_threads=True)
            with self._lock:
                if ended.is_set():
                    return
                self._interrupting = reason
                signal.pthread_kill(threading.main_thread().ident or 0, signal.SIGALRM)
        _after(GRACE_SECONDS, self._exit_unless_ended, reason, ended)

    def _on_alarm(self, signum: int, frame: object) -> None:
        if self._interrupting and not self._ended.is_set():
            raise TooLong(self._interrupting)

    def _exit_unless_ended(self, reason: str, ended: threading.Event) -> None:
        if ended.is_set():
            return
        capture = self._config.pluginmanager.getplugin("capturemanager")
        if capture is not None:  # the test's output capture holds fd 2: give it back
            capture.suspend_global_capture(in_=True)
        sys.stderr.write(
            f"\n\n*** {reason}, and was still running {GRACE_SECONDS:.0f} s after being"
            " stopped: the test process ends.\n*** Its threads:\n"
        )
        sys.stderr.flush()
        faulthandler.dump_traceback(file=sys.stderr, all_threads=True)
        os._exit(1)
