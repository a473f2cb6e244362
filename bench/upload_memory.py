"""`make bench-upload-memory`: how much a 20 MB XLSX that unpacks to 200 MB raises the memory
of the API process that receives it (goal: 50 MiB at most).

The API (`filrouge api`, uvicorn) and the worker (`filrouge worker`) run as their own OS
processes, configured through the environment as in production, on a Temporal dev server, a
migrated SQLite file and an SMTP sink, all in a fresh temporary directory. After a small
warm-up upload, the API's peak resident memory is reset (`/proc/<pid>/clear_refs`), the big
workbook is uploaded, and the peak (`VmHWM`) is read when the answer has arrived; a sampler
reading `VmRSS` every few milliseconds gives a second figure. The import is then followed to
its end, so the figures also show that the worker read the file and that only its recognised
columns were kept.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

from bench.big_workbook import (
    MIB,
    BigWorkbook,
    write_big_workbook,
    write_shared_strings_workbook,
)
from bench.fault_stack import TemporalServer, worker_environment
from bench.intake import free_port, machine, seed
from filrouge.intake.reader import IntakeLimits
from filrouge.mail.sink import MailSink
from filrouge.store.engine import make_engine, make_sessionmaker, transaction
from filrouge.store.migrate import upgrade
from filrouge.store.models import ImportFile, ImportUploadPart
from filrouge.temporal.codec import KeyRing

RESULTS = Path(__file__).parent / "results" / "upload_memory.json"
ROOT = Path(__file__).resolve().parent.parent
GOAL_MIB = 50.0


@dataclass
class Processes:
    api_pid: int
    worker_pid: int
    api_url: str
    database_url: str


def memory_kib(pid: int, field: str) -> int:
    """A `VmRSS` or `VmHWM` line of /proc/<pid>/status, in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise LookupError(field)


def reset_peak(pid: int) -> None:
    """`VmHWM` starts again from the current resident size (Linux 4.0 and later)."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")


class Sampler:
    """The highest `VmRSS` seen, read every `interval` seconds in a thread."""

    def __init__(self, pid: int, interval: float = 0.005) -> None:
        self.pid, self.interval, self.peak_kib = pid, interval, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak_kib = max(self.peak_kib, memory_kib(self.pid, "VmRSS"))
            time.sleep(self.interval)

    @contextlib.contextmanager
    def running(self) -> Iterator[Sampler]:
        self._thread.start()
        try:
            yield self
        finally:
            self._stop.set()
            self._thread.join()


def start(command: str, env: dict[str, str], code: Path, log: Path) -> subprocess.Popen[bytes]:
    """`filrouge <command>` from the checkout `code` (its packages before the installed ones)."""
    argv = [sys.executable, "-c", "from startup.cli import main; main()", command]
    with log.open("ab") as out:
        return subprocess.Popen(argv, env=env, cwd=code, stdout=out, stderr=subprocess.STDOUT)


@contextlib.asynccontextmanager
async def separate_processes(directory: Path, code: Path) -> AsyncIterator[Processes]:
    """Dev server, sink, migrated SQLite file; the API and the worker in their own processes."""
    server = TemporalServer(directory / "temporal.db", free_port(), free_port())
    server.start()
    sink = MailSink(directory=directory / "mail", host="127.0.0.1", port=0)
    sink.start()
    children: list[subprocess.Popen[bytes]] = []
    try:
        url = f"sqlite+aiosqlite:///{directory / 'filrouge.db'}"
        await asyncio.to_thread(upgrade, url)
        port = free_port()
        api_url = f"http://127.0.0.1:{port}"
        env = worker_environment(url, server.address, sink.port, api_url, KeyRing.generate("mem"))
        env |= {"API_HOST": "127.0.0.1", "API_PORT": str(port)}
        children.append(start("api", env, code, directory / "api.log"))
        children.append(start("worker", env, code, directory / "worker.log"))
        await wait_for_health(api_url)
        yield Processes(children[0].pid, children[1].pid, api_url, url)
    finally:
        for child in children:
            child.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                child.wait(timeout=20)
            if child.poll() is None:
                child.kill()
                child.wait(timeout=10)
        sink.stop()
        server.stop()


async def wait_for_health(api_url: str, patience_s: float = 120) -> None:
    deadline = time.perf_counter() + patience_s
    async with httpx.AsyncClient(base_url=api_url) as http:
        while True:
            with contextlib.suppress(httpx.TransportError):
                if (await http.get("/health")).status_code == 200:
                    return
            if time.perf_counter() > deadline:
                raise TimeoutError("the API did not start (see api.log)")
            await asyncio.sleep(0.2)


async def upload(http: httpx.AsyncClient, path: Path) -> httpx.Response:
    with path.open("rb") as file:
        files = {"file": (path.name, file, "application/octet-stream")}
        return await http.post("/imports", files=files)


async def until_done(http: httpx.AsyncClient, import_id: str, patience_s: float) -> dict[str, Any]:
    """The import once done or failed; answers 5xx while SQLite is busy are counted."""
    deadline, errors = time.perf_counter() + patience_s, 0
    while True:
        reply = await http.get(f"/imports/{import_id}")
        if reply.status_code >= 500:
            errors += 1
        else:
            body: dict[str, Any] = reply.raise_for_status().json()
            if body["status"] in ("done", "failed") or time.perf_counter() > deadline:
                return body | {"progress_read_errors": errors}
        await asyncio.sleep(0.5)


async def stored(database_url: str, import_id: str) -> dict[str, Any]:
    """What the database holds of the list once its import is over."""
    engine = make_engine(database_url)
    try:
        async with transaction(make_sessionmaker(engine)) as session:
            parts = await session.scalar(
                select(func.count()).where(ImportUploadPart.import_id == import_id)
            )
            kept = await session.get(ImportFile, import_id)
            return {
                "upload_parts_left": int(parts or 0),
                "kept_copy_bytes": len(kept.content) if kept else 0,
            }
    finally:
        await engine.dispose()


async def measure(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    big = write_big_workbook(
        tmp / "liste-volumineuse.xlsx", args.rows, int(args.packed_mib * MIB),
        int(args.unpacked_mib * MIB),
    )  # fmt: skip
    small = write_big_workbook(tmp / "echauffement.xlsx", 20, 40_000, 400_000, seed=7)
    # The costliest workbook whose header the API reads: shared strings just under the limit.
    strings = write_shared_strings_workbook(
        tmp / "chaines-partagees.xlsx", IntakeLimits().header_check_bytes - 64 * 1024
    )
    print(f"Classeur : {big.packed_bytes / MIB:.1f} Mio, {big.unpacked_bytes / MIB:.0f} Mio "
          f"décompressé, {big.rows} lignes")  # fmt: skip
    commit = _commit(args.code)
    async with separate_processes(tmp, args.code) as procs:
        engine = make_engine(procs.database_url)
        token = await seed(make_sessionmaker(engine))
        await engine.dispose()
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(base_url=procs.api_url, headers=headers, timeout=600) as http:
            warm = (await upload(http, small.path)).raise_for_status().json()
            await until_done(http, warm["id"], args.patience)
            worker_before = memory_kib(procs.worker_pid, "VmRSS") / 1024
            api = await api_memory(http, procs.api_pid, big)
            print(f"Mémoire de l'API pendant l'envoi : {json.dumps(api)}", flush=True)
            began = time.perf_counter()
            done = await until_done(http, api.pop("import_id"), args.patience)
            import_seconds = time.perf_counter() - began
            header_check = await api_memory(http, procs.api_pid, strings)
            header_check.pop("import_id")
        worker = {
            "worker_rss_before_mib": round(worker_before, 1),
            "worker_peak_rss_mib": round(memory_kib(procs.worker_pid, "VmHWM") / 1024, 1),
        }
        kept = await stored(procs.database_url, done["id"])
    api = {"big_workbook": api, "header_read": header_check | {"rows": strings.rows}}
    return results(args, commit, big, api, done, import_seconds, worker | kept)


async def api_memory(http: httpx.AsyncClient, pid: int, big: BigWorkbook) -> dict[str, Any]:
    """The API's resident memory before, at its peak during, and after an upload."""
    await asyncio.sleep(1)
    baseline = memory_kib(pid, "VmRSS")
    reset_peak(pid)
    with Sampler(pid).running() as sampler:
        began = time.perf_counter()
        response = await upload(http, big.path)
        seconds = time.perf_counter() - began
        peak = memory_kib(pid, "VmHWM")
    response.raise_for_status()
    after = memory_kib(pid, "VmRSS")
    return {
        "import_id": response.json()["id"],
        "status_code": response.status_code,
        "upload_seconds": round(seconds, 2),
        "baseline_rss_mib": round(baseline / 1024, 1),
        "peak_rss_mib": round(peak / 1024, 1),
        "increase_mib": round((peak - baseline) / 1024, 1),
        "sampled_increase_mib": round((sampler.peak_kib - baseline) / 1024, 1),
        "after_rss_mib": round(after / 1024, 1),
    }


def results(
    args: argparse.Namespace,
    commit: str,
    big: BigWorkbook,
    api: dict[str, Any],
    done: dict[str, Any],
    import_seconds: float,
    after: dict[str, Any],
) -> dict[str, Any]:
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": "make bench-upload-memory",
        "code": str(args.code),
        "code_commit": commit,
        "file": {
            "rows": big.rows,
            "packed_mib": round(big.packed_bytes / MIB, 2),
            "unpacked_mib": round(big.unpacked_bytes / MIB, 1),
            "content": "a synthetic list (5 % faulty rows, 5 % in-file duplicates), eight long "
            "unknown columns, a second sheet, document properties",
        },
        "api": api,
        "goal": {
            "increase_at_most_mib": GOAL_MIB,
            "met": max(figures["increase_mib"] for figures in api.values()) <= GOAL_MIB,
        },
        "import": {
            "status": done["status"],
            "error": done["error"],
            "rows_read": done["rows_read"],
            "created": done["created"],
            "rejected": done["rejected"],
            "ignored_columns": done["ignored_columns"],
            "seconds_after_upload": round(import_seconds, 1),
            "progress_read_errors": done["progress_read_errors"],
            **after,
        },
        "clock": "increase = VmHWM after the answer (peak reset just before the upload) "
        "minus VmRSS before it, after a small warm-up upload; big_workbook: the file above, "
        "header_read: a list as Excel saves it whose shared strings (loaded whole when the API "
        "opens it to read its header) are just under IntakeLimits.header_check_bytes",
        "machine": machine(),
    }


def _commit(code: Path) -> str:
    """The checkout's commit, marked when files differ from it."""
    git = ["git", "-C", str(code)]
    head = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    changed = subprocess.run([*git, "status", "--porcelain"], capture_output=True, text=True)
    return head.stdout.strip() + (" with uncommitted changes" if changed.stdout.strip() else "")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, default=1000, help="data rows of the first sheet")
    parser.add_argument("--packed-mib", type=float, default=19.5)
    parser.add_argument("--unpacked-mib", type=float, default=195.0)
    parser.add_argument("--patience", type=float, default=900, help="seconds for an import")
    parser.add_argument(
        "--code", type=Path, default=ROOT, help="the checkout whose API and worker are run"
    )
    parser.add_argument("--out", type=Path, default=RESULTS)
    return parser.parse_args(argv)


def run(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="filrouge-upload-memory-") as tmp:
        data = asyncio.run(measure(args, Path(tmp)))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps(data, indent=2, ensure_ascii=False))
    api = data["api"]
    worst = max(figures["increase_mib"] for figures in api.values())
    print(
        f"Mémoire de l'API : +{worst} Mio au plus pendant un envoi "
        f"(objectif ≤ {GOAL_MIB:.0f} Mio : {'atteint' if data['goal']['met'] else 'manqué'})"
    )
    print(f"Résultats : {args.out}")


if __name__ == "__main__":
    run()
