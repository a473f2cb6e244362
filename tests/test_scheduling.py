"""The order the test files are handed to the test processes in (tests/support/scheduling.py)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.support.scheduling import DurationRecorder, longest_files_first, recorded


@dataclass
class Item:
    nodeid: str
    fixturenames: list[str] = field(default_factory=list)


def test_recorded_files_go_longest_first_and_each_file_stays_together() -> None:
    items = [
        Item("tests/a.py::one"),
        Item("tests/a.py::two"),
        Item("tests/b.py::one[sqlite]"),
        Item("tests/c.py::one"),
        Item("tests/b.py::one[postgresql]"),
    ]
    longest_files_first(items, {"tests/a.py": 1.0, "tests/b.py": 30.0, "tests/c.py": 5.0})
    assert [i.nodeid for i in items] == [
        "tests/b.py::one[sqlite]",
        "tests/b.py::one[postgresql]",
        "tests/c.py::one",
        "tests/a.py::one",
        "tests/a.py::two",
    ]


def test_a_file_not_recorded_is_weighed_by_what_its_tests_use() -> None:
    items = [
        Item("tests/plain.py::one"),
        Item("tests/plain.py::two"),
        Item("tests/browser.py::one", ["site", "page"]),
        Item("tests/recorded.py::one"),
    ]
    longest_files_first(items, {"tests/recorded.py": 2.0})
    assert [i.nodeid.split("::")[0] for i in items] == [
        "tests/browser.py",  # a browser test: ~4 s
        "tests/recorded.py",
        "tests/plain.py",
        "tests/plain.py",
    ]


def test_the_recorder_adds_up_each_file_and_writes_only_after_a_passing_run(
    tmp_path: Path,
) -> None:
    path = tmp_path / "durations.json"
    recorder = DurationRecorder(path)
    reports = [("tests/a.py::x", 1.25), ("tests/a.py::y", 2.0), ("tests/b.py::z", 0.5)]
    for nodeid, seconds in reports:
        recorder.pytest_runtest_logreport(
            pytest.TestReport(nodeid, ("", 0, ""), {}, "passed", None, "call", duration=seconds)
        )
    recorder.pytest_sessionfinish(None, exitstatus=1)  # type: ignore[arg-type]
    assert not path.exists()
    recorder.pytest_sessionfinish(None, exitstatus=0)  # type: ignore[arg-type]
    assert json.loads(path.read_text()) == {"tests/a.py": 3.2, "tests/b.py": 0.5}
    assert recorded(path) == {"tests/a.py": 3.2, "tests/b.py": 0.5}
    assert recorded(tmp_path / "missing.json") == {}
