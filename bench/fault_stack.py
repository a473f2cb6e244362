"""The embedded stack of the fault trials, with the worker in its own OS process.

The bench process runs the Temporal dev server (a child process on a SQLite file), the SMTP
sink and the API (uvicorn in a task); the worker is `filrouge worker` in a separate process,
configured through the environment exactly as in production, so it can be SIGKILLed.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import uvicorn
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client

from api.app import create_app
from bench.intake import free_port
from filrouge.mail.sink import MailSink
from filrouge.settings import DatabaseSettings, TemporalSettings
from filrouge.store.engine import make_engine, make_sessionmaker
from filrouge.store.migrate import upgrade
from filrouge.temporal.codec import KeyRing
from filrouge.temporal.server import connect_when_ready, data_converter, start_dev_server

TASK_QUEUE = "filrouge-faults"
NAMESPACE = "default"


@dataclass
class WorkerProcess:
    """`filrouge worker` as a child process: started, SIGKILLed and started again."""

    env: dict[str, str]
    log: Path
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0
    kills: int = 0

    def start(self) -> None:
        """Start a new worker process (the previous one must be gone)."""
        command = [str(Path(sys.executable).parent / "filrouge"), "worker"]
        with self.log.open("ab") as log:
            log.write(f"\n--- worker start {self.starts + 1} at {time.time():.3f}\n".encode())
            self.process = subprocess.Popen(
                command, env=self.env, cwd=self.log.parent, stdout=log, stderr=subprocess.STDOUT
            )
        self.starts += 1

    def kill(self) -> None:
        """SIGKILL: no shutdown, no flush, in-flight activities and tasks are simply lost."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)
        self.kills += 1

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after 20 s."""
        if not self.alive():
            return
        assert self.process is not None
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


@dataclass
class TemporalServer:
    """The dev server on its file; `restart` stops it and starts it again on the same file."""

    db_file: Path
    port: int
    ui_port: int
    process: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> None:
        self.process = start_dev_server(
            self.db_file, port=self.port, ui_port=self.ui_port, headless=True
        )

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


@dataclass
class FaultStack:
    directory: Path
    server: TemporalServer
    sink: MailSink
    client: Client
    sessions: async_sessionmaker[AsyncSession]
    api_url: str
    worker: WorkerProcess
    events: list[dict[str, object]] = field(default_factory=list)

    async def restart_server(self) -> float:
        """Stop the Temporal dev server and start it again on its file; seconds until it answers."""
        began = time.perf_counter()
        self.server.stop()
        self.server.start()
        await wait_until_serving(self.client)
        return time.perf_counter() - began


async def wait_until_serving(client: Client, patience_s: float = 120) -> None:
    """Until the (restarted) server answers a visibility query, or raise TimeoutError."""
    deadline = time.perf_counter() + patience_s
    while True:
        try:
            await client.count_workflows("WorkflowType = 'CaseWorkflow'")
            return
        except Exception:
            if time.perf_counter() > deadline:
                raise TimeoutError("the Temporal dev server did not come back") from None
            await asyncio.sleep(0.5)


def worker_environment(
    database_url: str, address: str, smtp_port: int, api_url: str, keys: KeyRing
) -> dict[str, str]:
    """The worker's settings, as an operator would set them (filrouge/settings.py)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SMTP_", "TEMPORAL_"))}
    return env | {
        "DATABASE_URL": database_url,
        "TEMPORAL_ADDRESS": address,
        "TEMPORAL_NAMESPACE": NAMESPACE,
        "TEMPORAL_TASK_QUEUE": TASK_QUEUE,
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(smtp_port),
        "SMTP_TIMEOUT_SECONDS": "10",
        "API_PUBLIC_URL": api_url,
        "SECURITY_ENVIRONMENT": "development",
        "SECURITY_PAYLOAD_KEYS": keys.format(),
        "PYTHONUNBUFFERED": "1",
    }


@contextlib.asynccontextmanager
async def fault_stack(directory: Path) -> AsyncIterator[FaultStack]:
    """Dev server, sink, migrated SQLite file, API in this process, worker in its own."""
    server = TemporalServer(directory / "temporal.db", free_port(), free_port())
    server.start()
    sink = MailSink(directory=directory / "mail", host="127.0.0.1", port=0)
    sink.start()
    worker: WorkerProcess | None = None
    try:
        keys = KeyRing.generate("faults")
        client = await connect_when_ready(
            server.address, NAMESPACE, data_converter(keys), wait_seconds=120
        )
        url = f"sqlite+aiosqlite:///{directory / 'filrouge.db'}"
        await asyncio.to_thread(upgrade, url)
        engine = make_engine(url)
        api_url = f"http://127.0.0.1:{free_port()}"
        app = create_app(
            DatabaseSettings(database_url=url),
            TemporalSettings(address=server.address, task_queue=TASK_QUEUE),
            temporal_client=client,
        )
        host, port = api_url.removeprefix("http://").split(":")
        web = uvicorn.Server(uvicorn.Config(app, host=host, port=int(port), log_level="warning"))
        env = worker_environment(url, server.address, sink.port, api_url, keys)
        worker = WorkerProcess(env, directory / "worker.log")
        worker.start()
        serving = asyncio.create_task(web.serve())
        while not web.started:  # noqa: ASYNC110 (uvicorn offers no event to wait on)
            await asyncio.sleep(0.05)
        try:
            yield FaultStack(
                directory, server, sink, client, make_sessionmaker(engine), api_url, worker
            )
        finally:
            web.should_exit = True
            await serving
            await engine.dispose()
    finally:
        if worker is not None:
            worker.stop()
        sink.stop()
        server.stop()
