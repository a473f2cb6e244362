"""The development SMTP sink's command speaks French, like every command people run."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path


def test_the_sink_says_where_it_listens_in_french(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "filrouge.mail.sink", "--port", "0"]
    sink = subprocess.Popen(
        [*command, "--directory", str(tmp_path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert sink.stdout is not None
        first = sink.stdout.readline()
    finally:
        sink.send_signal(signal.SIGTERM)
        sink.wait(timeout=20)

    assert first.startswith("Puits SMTP sur 127.0.0.1:"), first
    assert f"messages dans {tmp_path}/" in first
