"""`make bench-intake`: how fast a 20,000-row list becomes running cases on the embedded stack.

Everything runs on this machine, in a fresh temporary directory, exactly as `make run` wires
it (Temporal dev server on a SQLite file with WAL and synchronous=normal, a migrated SQLite
database, an SMTP sink on loopback, the worker and the API in one process):

1. raw rate: start no-op workflows with bounded concurrency (the import's own helper,
   `filrouge.services.cases.launch.bounded`), clock stopped when the server has acknowledged
   every start;
2. import: upload a synthetic list through `POST /imports`, clock stopped when
   `GET /imports/{id}` shows every row processed, i.e. every valid row has its case in the
   read model and its workflow started (acknowledged by the server, as in step 1).

`rows_per_s` counts the rows of the file (faulty and duplicate rows included);
`valid_rows_per_s` counts only the rows that became cases.
"""

from __future__ import annotations

import argparse
import asyncio
import compileall
import contextlib
import json
import os
import platform
import socket
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client
from temporalio.worker import Worker

from api.app import create_app
from api.schemas import UserIn
from bench.noop import NoopWorkflow
from bench.seeding import seed_structures
from filrouge.core.domain import Role
from filrouge.intake.synthetic import generate_list, planned_counts
from filrouge.mail.sink import MailSink
from filrouge.services.auth.tokens import create_user_with_token
from filrouge.services.cases.launch import bounded
from filrouge.services.reference.admin import (
    NewPlatform,
    ReferenceService,
)
from filrouge.settings import DatabaseSettings, SmtpSettings, TemporalSettings
from filrouge.store.engine import make_engine, make_sessionmaker, transaction
from filrouge.store.migrate import upgrade
from filrouge.store.models import Case, ImportRow
from filrouge.temporal.codec import KeyRing
from filrouge.temporal.server import connect_when_ready, data_converter, start_dev_server
from startup.worker import WORKFLOW_TASK_POLLERS, build_worker
from workflows.intake import ImportWorkflowInput, import_workflow_id

RESULTS = Path(__file__).parent / "results" / "intake.json"
GOAL_RATIO, GOAL_SECONDS = 0.8, 240.0
# One platform per region of the synthetic communes (Ille-et-Vilaine, Corsica, La Réunion).
PLATFORMS = {
    "bench-bretagne": ["35"],
    "bench-corse": ["2A", "2B"],
    "bench-reunion": ["974"],
}


@dataclass
class Stack:
    client: Client
    sessions: async_sessionmaker[AsyncSession]
    api_url: str
    task_queue: str
    server_pid: int


class CpuClock:
    """CPU seconds used by this process (worker + API) and by the Temporal server."""

    def __init__(self, server_pid: int) -> None:
        self.server_pid = server_pid
        self.began = self.now()

    def now(self) -> tuple[float, float]:
        times = os.times()
        return times.user + times.system, _process_cpu(self.server_pid)

    def used(self) -> dict[str, float]:
        (python, server), (python0, server0) = self.now(), self.began
        return {
            "python_cpu_s": round(python - python0, 1),
            "server_cpu_s": round(server - server0, 1),
        }


def _process_cpu(pid: int) -> float:
    """utime + stime of another process (Linux); 0 elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def precompile() -> None:
    """Write the bytecode of our packages, as the Docker image does (`compileall`).

    The workflow sandbox imports the workflow module again for every workflow run; without
    bytecode on disk (PYTHONDONTWRITEBYTECODE) each run would compile it from source.
    """
    root = Path(__file__).resolve().parent.parent
    for package in ("filrouge", "workflows", "activities", "api", "bench"):
        compileall.compile_dir(root / package, quiet=1)


@dataclass
class RawStarts:
    when: str
    concurrency: int
    starts: int
    seconds: float
    cpu: dict[str, float]
    seconds_completed: float

    @property
    def per_s(self) -> float:
        return self.starts / self.seconds


@dataclass
class ImportRun:
    import_id: str
    began: float
    seconds: float
    counts: dict[str, Any]
    cpu: dict[str, float]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.asynccontextmanager
async def embedded_stack(directory: Path) -> AsyncIterator[Stack]:
    """The `make run` stack in `directory`, on free loopback ports (the Temporal UI off)."""
    port = free_port()
    server = start_dev_server(
        directory / "temporal.db", port=port, ui_port=free_port(), headless=True
    )
    sink = MailSink(directory=directory / "mail", host="127.0.0.1", port=0)
    sink.start()
    try:
        address, queue = f"127.0.0.1:{port}", "filrouge-bench"
        converter = data_converter(KeyRing.generate("bench"))
        client = await connect_when_ready(address, "default", converter, wait_seconds=120)
        url = f"sqlite+aiosqlite:///{directory / 'filrouge.db'}"
        await asyncio.to_thread(upgrade, url)
        engine = make_engine(url)
        sessions = make_sessionmaker(engine)
        smtp = SmtpSettings(host="127.0.0.1", port=sink.port)
        api_port = free_port()
        app = create_app(
            DatabaseSettings(database_url=url),
            TemporalSettings(address=address, task_queue=queue),
            temporal_client=client,
        )
        config = uvicorn.Config(app, host="127.0.0.1", port=api_port, log_level="warning")
        web = uvicorn.Server(config)
        async with build_worker(client, queue, sessions, smtp, f"http://127.0.0.1:{api_port}"):
            serving = asyncio.create_task(web.serve())
            while not web.started:  # noqa: ASYNC110 (uvicorn offers no event to wait on)
                await asyncio.sleep(0.05)
            try:
                yield Stack(client, sessions, f"http://127.0.0.1:{api_port}", queue, server.pid)
            finally:
                web.should_exit = True
                await serving
        await engine.dispose()
    finally:
        sink.stop()
        server.terminate()
        server.wait(timeout=30)


async def seed(sessions: async_sessionmaker[AsyncSession]) -> str:
    """Platforms covering every synthetic commune, their structures and référents.

    Returns the API token of the coordinator who uploads the list.
    """
    async with transaction(sessions) as session:
        service = ReferenceService(session)
        for platform_id, departements in PLATFORMS.items():
            territory = {"departements": list(departements)}
            name = f"PSAD {platform_id.removeprefix('bench-')} (banc d'essai)"
            await service.create_platform(
                NewPlatform(id=platform_id, name=name, territory=territory)
            )
            await seed_structures(service, platform_id, "bench.filrouge.fr")
        _, token = await create_user_with_token(
            session,
            UserIn(
                display_name="Coordination banc d'essai",
                email="coordination@bench.filrouge.fr",
                role=Role.COORDINATEUR,
                platform_id="bench-bretagne",
            ),
            "banc d'essai",
        )
    return token.token


async def raw_starts(stack: Stack, starts: int, concurrency: int, when: str) -> RawStarts:
    """Start `starts` no-op workflows, `concurrency` at a time; seconds until all acknowledged.

    Also the seconds until all of them have completed (their one workflow task processed).
    """
    queue = f"bench-noop-{uuid.uuid4().hex[:8]}"

    async def start(n: int) -> None:
        await stack.client.start_workflow(NoopWorkflow.run, id=f"{queue}-{n}", task_queue=queue)

    pollers = WORKFLOW_TASK_POLLERS  # as the application's worker
    async with Worker(
        stack.client,
        task_queue=queue,
        workflows=[NoopWorkflow],
        workflow_task_poller_behavior=pollers,
    ):
        cpu, began = CpuClock(stack.server_pid), time.perf_counter()
        await bounded(range(starts), start, concurrency)
        seconds, used = time.perf_counter() - began, cpu.used()
        query = f"TaskQueue = '{queue}' AND ExecutionStatus = 'Completed'"
        await wait_for_count(stack.client, query, starts)
        completed = time.perf_counter() - began
    raw = RawStarts(when, concurrency, starts, seconds, used, completed)
    print(f"Démarrages bruts ({when}, concurrence {concurrency}) : {raw.per_s:.0f}/s")
    return raw


async def wait_for_count(client: Client, query: str, wanted: int, patience_s: float = 900) -> int:
    """Poll the visibility store until `query` counts `wanted` workflows (or time runs out)."""
    deadline = time.perf_counter() + patience_s
    while True:
        found = (await client.count_workflows(query)).count
        if found >= wanted or time.perf_counter() > deadline:
            return found
        await asyncio.sleep(0.2)


async def timed_import(stack: Stack, token: str, content: bytes, poll: float) -> ImportRun:
    """Upload through the API; seconds until every row is processed (cases started)."""
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=stack.api_url, headers=headers, timeout=120) as http:
        cpu, began = CpuClock(stack.server_pid), time.perf_counter()
        files = {"file": ("liste-synthetique.csv", content, "text/csv")}
        response = await http.post("/imports", files=files)
        response.raise_for_status()
        import_id, errors = response.json()["id"], 0
        while True:
            reply = await http.get(f"/imports/{import_id}")
            if reply.status_code >= 500:  # counted and reported, the clock keeps running
                errors += 1
                await asyncio.sleep(poll)
                continue
            counts = reply.raise_for_status().json()
            finished = counts["rows_read"] > 0 and counts["processed"] == counts["rows_read"]
            if finished or counts["status"] in ("done", "failed"):
                seconds, used = time.perf_counter() - began, cpu.used()
                break
            await asyncio.sleep(poll)
    return ImportRun(import_id, began, seconds, counts, used | {"progress_read_errors": errors})


async def verify(stack: Stack, run: ImportRun) -> dict[str, Any]:
    """After the clock: cases in the read model, and case workflows running in Temporal."""
    async with transaction(stack.sessions) as session:
        cases = await session.scalar(
            select(func.count())
            .select_from(ImportRow)
            .join(Case, Case.id == ImportRow.case_id)
            .where(ImportRow.import_id == run.import_id)
        )
    # A case's first workflow task publishes its platform: then its workflow has really run.
    platforms = ", ".join(f"'{p}'" for p in PLATFORMS)
    query = f"WorkflowType = 'CaseWorkflow' AND FilrougePlatform IN ({platforms})"
    await wait_for_count(stack.client, query, int(cases or 0))
    first_tasks_done = time.perf_counter() - run.began
    query = "WorkflowType = 'CaseWorkflow' AND ExecutionStatus = 'Running'"
    running = await wait_for_count(stack.client, query, int(cases or 0), patience_s=60)
    return {
        "cases_in_read_model": int(cases or 0),
        "case_workflows_running": running,
        "seconds_until_first_tasks_done": round(first_tasks_done, 2),
    }


async def activity_times(stack: Stack, import_id: str) -> dict[str, Any]:
    """Per activity of the import workflow: count, retries, seconds (median, max, total)."""
    handle = stack.client.get_workflow_handle(import_workflow_id(import_id))
    scheduled: dict[int, str] = {}
    started: dict[int, tuple[datetime, int]] = {}
    runs: dict[str, list[float]] = {}
    retries: dict[str, int] = {}
    async for event in handle.fetch_history_events():
        at = event.event_time.ToDatetime()
        if event.HasField("activity_task_scheduled_event_attributes"):
            kind = event.activity_task_scheduled_event_attributes.activity_type
            scheduled[event.event_id] = kind.name
        elif event.HasField("activity_task_started_event_attributes"):
            start = event.activity_task_started_event_attributes
            started[start.scheduled_event_id] = (at, start.attempt)
        elif event.HasField("activity_task_completed_event_attributes"):
            scheduled_id = event.activity_task_completed_event_attributes.scheduled_event_id
            name = scheduled[scheduled_id]
            began, attempt = started[scheduled_id]
            runs.setdefault(name, []).append((at - began).total_seconds())
            retries[name] = retries.get(name, 0) + attempt - 1
    return {
        name: {
            "count": len(seconds),
            "retries": retries[name],
            "median_s": round(statistics.median(seconds), 2),
            "max_s": round(max(seconds), 2),
            "total_s": round(sum(seconds), 1),
        }
        for name, seconds in runs.items()
    }


def machine() -> dict[str, Any]:
    return {
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "load_average_1_5_15": [round(x, 2) for x in os.getloadavg()],
    }


def results(
    args: argparse.Namespace, raw: list[RawStarts], run: ImportRun, checks: dict[str, Any]
) -> dict[str, Any]:
    best = max(raw, key=lambda r: r.per_s)
    valid = run.counts["created"]
    rows_per_s = args.rows / run.seconds
    defaults = ImportWorkflowInput("")
    # Secondary figures: until every workflow has run its first task, on both sides.
    ran_s = checks["seconds_until_first_tasks_done"]
    raw_ran = max(r.starts / r.seconds_completed for r in raw)
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": "make bench-intake",
        "rows": args.rows,
        "valid_rows": valid,
        "seconds": round(run.seconds, 2),
        "rows_per_s": round(rows_per_s, 1),
        "valid_rows_per_s": round(valid / run.seconds, 1),
        "raw_starts_per_s": round(best.per_s, 1),
        "ratio": round(rows_per_s / best.per_s, 3),
        "rows_per_s_counts": "every row of the file (faulty and duplicate rows included)",
        "clock": {
            "import": "from POST /imports until GET /imports/{id} shows every row processed: "
            "each valid row has its case in the read model and its workflow start acknowledged",
            "raw": "from the first start until the server acknowledged every no-op start "
            "(best of the runs before and after the import)",
        },
        "until_first_tasks_done": {
            "about": "secondary: clocks stopped when every case workflow has run its first "
            "task (its platform published) and every no-op workflow has completed",
            "seconds": ran_s,
            "rows_per_s": round(args.rows / ran_s, 1),
            "raw_per_s": round(raw_ran, 1),
            "ratio": round(args.rows / ran_s / raw_ran, 3),
        },
        "goals": {
            "ratio_at_least": GOAL_RATIO,
            "ratio_met": rows_per_s / best.per_s >= GOAL_RATIO,
            "seconds_under": GOAL_SECONDS,
            "seconds_met": run.seconds < GOAL_SECONDS,
        },
        "raw_starts": [
            asdict(r)
            | {"seconds": round(r.seconds, 2), "seconds_completed": round(r.seconds_completed, 2)}
            | {"per_s": round(r.per_s, 1)}
            for r in raw
        ],
        "import": {
            "counts": {k: run.counts[k] for k in COUNT_KEYS},
            "batch_size": defaults.batch_size,
            "parallel_batches": defaults.parallel_batches,
            "start_concurrency": defaults.start_concurrency,
            **run.cpu,
            **checks,
        },
        "machine": machine(),
        "bytecode": "precompiled with compileall, as in the Docker image",
        "note": "shared machine: absolute figures are noisy, compare the ratio of one run",
    }


COUNT_KEYS = (
    "status",
    "rows_read",
    "created",
    "to_route",
    "reidentified",
    "possible_duplicates",
    "in_file_duplicates",
    "rejected",
    "processed",
)


async def main(args: argparse.Namespace) -> dict[str, Any]:
    precompile()
    content = generate_list(args.rows, seed=args.seed)
    planned = planned_counts(args.rows, 0.05, 0.05)
    print(f"Liste synthétique : {args.rows} lignes ({planned.valid_unique} valides et uniques).")
    with tempfile.TemporaryDirectory(prefix="filrouge-bench-") as tmp:
        async with embedded_stack(Path(tmp)) as stack:
            token = await seed(stack.sessions)
            raw = [
                await raw_starts(stack, args.raw_starts, c, "avant") for c in args.raw_concurrency
            ]
            run = await timed_import(stack, token, content, args.poll)
            checks = await verify(stack, run)
            checks["activities"] = await activity_times(stack, run.import_id)
            best = max(raw, key=lambda r: r.per_s).concurrency
            raw.append(await raw_starts(stack, args.raw_starts, best, "après"))
    return results(args, raw, run, checks)


def summary(data: dict[str, Any]) -> str:
    goals = data["goals"]
    return (
        f"Import : {data['rows']} lignes en {data['seconds']} s = {data['rows_per_s']} lignes/s "
        f"({data['valid_rows']} dossiers, {data['valid_rows_per_s']}/s)\n"
        f"Démarrages bruts : {data['raw_starts_per_s']}/s ; rapport : {data['ratio']} "
        f"(objectif ≥ {goals['ratio_at_least']} : {_met(goals['ratio_met'])})\n"
        f"Durée (objectif < {goals['seconds_under']:.0f} s) : {_met(goals['seconds_met'])}"
    )


def _met(met: bool) -> str:
    return "atteint" if met else "manqué"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--raw-starts", type=int, default=4000, help="no-op starts per run")
    parser.add_argument(
        "--raw-concurrency",
        type=lambda text: [int(x) for x in text.split(",")],
        default=[32, 128],
        help="comma-separated; the best rate (before or after the import) is the reference",
    )
    parser.add_argument("--poll", type=float, default=0.25, help="seconds between progress reads")
    parser.add_argument("--out", type=Path, default=RESULTS)
    return parser.parse_args(argv)


def run(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    data = asyncio.run(main(args))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    print(summary(data))
    print(f"Résultats : {args.out}")


if __name__ == "__main__":
    run()
