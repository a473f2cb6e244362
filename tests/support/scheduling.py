"""Longest test files first, so that the two test processes finish together.

`make test` hands whole files to the processes (`--dist loadfile`), in the order collected.
pytest-xdist's own order (most tests first) put the few slow files last: a run ended with
one process alone for half a minute. Files are ordered by the seconds a run recorded
(`tests/file_durations.json`, refreshed by `make test-durations`); a file not recorded yet
is estimated from what its tests use (a browser, a Temporal server of their own, ...).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Protocol, TypeVar

import pytest

DURATIONS_FILE = Path(__file__).parent.parent / "file_durations.json"

# Rough seconds of one test by the costliest fixture it uses, for files not recorded yet
# (averages of a full run on the 2-core machine).
ESTIMATES = [("env", 8.0), ("page", 4.0), ("site", 1.6), ("dev_env", 1.0), ("sessions", 1.0)]
PLAIN_TEST = 0.05


class Collected(Protocol):
    @property
    def nodeid(self) -> str: ...


ItemT = TypeVar("ItemT", bound=Collected)


def file_of(nodeid: str) -> str:
    return nodeid.split("::", 1)[0]


def estimate(fixtures: Iterable[str]) -> float:
    names = set(fixtures)
    return next((seconds for name, seconds in ESTIMATES if name in names), PLAIN_TEST)


def recorded(path: Path = DURATIONS_FILE) -> dict[str, float]:
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        return {}
    return {str(name): float(seconds) for name, seconds in data.items()}


def longest_files_first(items: list[ItemT], known: dict[str, float]) -> None:
    """Reorder `items` in place: files by decreasing weight, each file's tests kept together
    and in their own order (module fixtures are built once per file and process)."""
    guessed: Counter[str] = Counter()
    first_seen: dict[str, int] = {}
    for index, item in enumerate(items):
        name = file_of(item.nodeid)
        first_seen.setdefault(name, index)
        fixtures: Sequence[str] = getattr(item, "fixturenames", ())
        guessed[name] += estimate(fixtures)

    def weight(name: str) -> float:
        return known.get(name, guessed[name])

    items.sort(key=lambda item: (-weight(file_of(item.nodeid)), first_seen[file_of(item.nodeid)]))


class DurationRecorder:
    """Adds up each file's seconds (setup, call, teardown) as the reports come in, and writes
    them at the end of a run that passed (`pytest --record-durations`)."""

    def __init__(self, path: Path = DURATIONS_FILE) -> None:
        self.path = path
        self.seconds: Counter[str] = Counter()

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.seconds[file_of(report.nodeid)] += report.duration

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if exitstatus != 0 or not self.seconds:
            return
        rounded = {name: round(s, 1) for name, s in sorted(self.seconds.items())}
        self.path.write_text(json.dumps(rounded, indent=1) + "\n")
