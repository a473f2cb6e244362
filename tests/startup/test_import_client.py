"""`filrouge import FILE` against a live API server (uvicorn on loopback), worker and Temporal."""

from __future__ import annotations

import asyncio
import io
import os
import socket
import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest
import uvicorn
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from filrouge.mail.sink import MailSink
from filrouge.settings import DatabaseSettings, SmtpSettings, TemporalSettings
from startup.import_client import ImportCommand, ImportFailed
from startup.worker import build_worker
from tests.api.conftest import Api, Team, create_admin
from tests.support.http import http_client
from tests.support.territory import Territory, allocator_for

TODAY = date.today()
FILROUGE = str(Path(sys.executable).parent / "filrouge")


@dataclass
class Live:
    url: str
    api: Api
    team: Team
    commune: str


def free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@pytest.fixture
async def live(
    dev_env: WorkflowEnvironment,
    database_url: str,
    sessions: async_sessionmaker[AsyncSession],
    mail_sink: MailSink,
    territory: Territory,
) -> AsyncIterator[Live]:
    """The real app served by uvicorn on a free loopback port, with its worker."""
    queue = f"cli-{uuid.uuid4().hex[:10]}"
    app = create_app(
        DatabaseSettings(database_url=database_url),
        TemporalSettings(task_queue=queue),
        temporal_client=dev_env.client,
    )
    sock = free_socket()
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    smtp = SmtpSettings(host="127.0.0.1", port=mail_sink.port)
    try:
        while not server.started:
            assert not serving.done(), "the API server did not start"
            await asyncio.sleep(0.02)
        async with (
            build_worker(dev_env.client, queue, sessions, smtp, url),
            http_client(base_url=url) as http,
        ):
            admin = await create_admin(sessions)
            api = Api(http, sessions, admin, None, territories=allocator_for(database_url))
            team = await api.team({}, territory.claim())  # a territory of the test's own
            yield Live(url, api, team, territory.commune)
    finally:
        server.should_exit = True
        await serving
        sock.close()


def write_list(tmp_path: Path, commune: str, rows: int = 6, faulty: int = 1) -> Path:
    born = (TODAY - timedelta(days=365 * 19 + 40)).strftime("%d/%m/%Y")
    tag = uuid.uuid4().hex[:6]
    lines = ["Nom;Prénom;Date de naissance;Code commune INSEE"]
    lines += [f"Nom{tag}{chr(97 + n)};Léa;{born};{commune}" for n in range(rows - faulty)]
    lines += [f"Faux{tag}{n};Tom;31/02/2006;{commune}" for n in range(faulty)]
    path = tmp_path / f"liste-{tag}.csv"
    path.write_bytes("\r\n".join(lines).encode("utf-8-sig"))
    return path


async def test_the_command_uploads_follows_the_progress_and_prints_the_report(
    live: Live, tmp_path: Path
) -> None:
    path = write_list(tmp_path, live.commune, rows=6, faulty=1)
    out, bar = io.StringIO(), io.StringIO()
    command = ImportCommand(live.url, live.team.coordinator.token, out, bar, poll_seconds=0.05)

    result = await command.run(path)

    assert (result["status"], result["rows_read"], result["created"]) == ("done", 6, 5)
    printed = out.getvalue()
    assert f"Import {result['id']} terminé ({path.name})" in printed
    assert "Lignes lues : 6" in printed and "Lignes rejetées : 1" in printed
    assert f"{live.url}/imports/{result['id']}/rejected.csv" in printed
    assert "6/6" in bar.getvalue()  # the bar reached every row
    page = await live.api.http.get("/cases", headers=live.team.coordinator.headers)
    assert page.json()["total"] == 5

    out = io.StringIO()
    again = ImportCommand(live.url, live.team.coordinator.token, out, io.StringIO())
    assert (await again.run(path))["id"] == result["id"]
    assert "déjà été importé" in out.getvalue()
    assert (await live.api.http.get("/cases", headers=live.team.coordinator.headers)).json()[
        "total"
    ] == 5


async def test_failures_are_one_french_message(live: Live, tmp_path: Path) -> None:
    good = write_list(tmp_path, live.commune)
    pdf = tmp_path / "liste.pdf"
    pdf.write_bytes(b"%PDF-1.4 pas une liste")
    coordinator = live.team.coordinator.token
    closed = free_socket()  # bound but not listening: connections are refused
    down = f"http://127.0.0.1:{closed.getsockname()[1]}"
    cases = [
        (live.url, "fr_pas-un-jeton", good, "Jeton refusé"),
        (live.url, "", good, "Jeton manquant"),
        (live.url, live.team.partner.token, good, "seuls les coordinateurs"),
        (live.url, coordinator, pdf, "Fichier refusé : Le fichier n'est ni un CSV"),
        (live.url, coordinator, tmp_path / "absente.csv", "Fichier introuvable"),
        (live.url, coordinator, tmp_path, "est un dossier"),
        (down, coordinator, good, "ne répond pas"),
    ]
    for url, token, path, message in cases:
        command = ImportCommand(url, token, io.StringIO(), io.StringIO())
        with pytest.raises(ImportFailed, match=message):
            await command.run(path)
    closed.close()
    page = await live.api.http.get("/cases", headers=live.team.coordinator.headers)
    assert page.json()["total"] == 0


async def run_filrouge(*args: str, token: str, url: str) -> tuple[int, str, str]:
    env = os.environ | {"FILROUGE_TOKEN": token, "FILROUGE_API_URL": url}
    process = await asyncio.create_subprocess_exec(
        FILROUGE, *args, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    stdout, stderr = await process.communicate()
    assert process.returncode is not None
    return process.returncode, stdout.decode(), stderr.decode()


async def test_the_filrouge_import_command_reads_its_token_from_the_environment(
    live: Live, tmp_path: Path
) -> None:
    path = write_list(tmp_path, live.commune, rows=3, faulty=0)

    code, out, err = await run_filrouge(
        "import", str(path), token=live.team.coordinator.token, url=live.url
    )
    refused, _, why = await run_filrouge("import", str(path), token="fr_faux", url=live.url)

    assert code == 0, err
    assert "Lignes lues : 3" in out and "Dossiers créés : 3" in out
    assert "Import" in err  # the progress bar
    assert refused == 1 and why.strip() == (
        "Erreur : Jeton refusé par l'API (inconnu, révoqué ou mal copié)."
    )
