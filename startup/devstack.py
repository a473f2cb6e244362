"""`make run`: Temporal dev server on a local file, SQLite, an SMTP sink, the worker and the API."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from pathlib import Path

import uvicorn

from api.app import create_app
from filrouge.mail.sink import MailSink
from filrouge.services.cases.service import CaseService
from filrouge.settings import (
    DATA_DIR,
    ApiSettings,
    DatabaseSettings,
    SecuritySettings,
    SmtpSettings,
    TemporalSettings,
)
from filrouge.store.engine import make_engine, make_sessionmaker
from filrouge.store.migrate import upgrade
from filrouge.temporal.codec import payload_key_ring
from filrouge.temporal.server import connect_when_ready, data_converter, start_dev_server
from startup.demo import DEMO_LOGINS, DemoTokens, load_demo
from startup.schedules import ensure_schedules
from startup.worker import build_worker


def _listening(host: str, port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.5):
        return True
    return False


async def run_dev_stack() -> None:
    """Start everything, load the demo once, print where to look, serve until Ctrl-C."""
    temporal, database, smtp, api = (
        TemporalSettings(),
        DatabaseSettings(),
        SmtpSettings(),
        ApiSettings(),
    )
    busy = [
        f"{name} ({host}:{port}, {setting})"
        for name, host, port, setting in (
            ("du puits SMTP", smtp.host, smtp.port, "SMTP_PORT"),
            ("de l'API", api.host, api.port, "API_PORT"),
        )
        if _listening(host, port)
    ]
    if busy:
        raise SystemExit(
            "Démarrage impossible : le port " + " et le port ".join(busy) + " est déjà pris. "
            "`make run` tourne-t-il déjà ? Arrêtez-le (Ctrl-C), ou choisissez d'autres ports."
        )
    DATA_DIR.mkdir(exist_ok=True)
    sink = MailSink(directory=DATA_DIR / "mail", host=smtp.host, port=smtp.port)
    sink.start()
    host, _, port = temporal.address.rpartition(":")
    server = None
    if not _listening(host or "127.0.0.1", int(port)):
        server = start_dev_server(
            DATA_DIR / "temporal.db",
            port=int(port),
            ui_port=int(port) + 1000,
            codec_endpoint=f"{api.public_url.rstrip('/')}/codec",
        )
    try:
        converter = data_converter(payload_key_ring(SecuritySettings()))
        client = await connect_when_ready(
            temporal.address, temporal.namespace, converter, wait_seconds=120
        )
        await asyncio.to_thread(upgrade, database.database_url)
        engine = make_engine(database.database_url)
        sessions = make_sessionmaker(engine)
        worker = build_worker(client, temporal.task_queue, sessions, smtp, api.public_url)
        await ensure_schedules(client, temporal.task_queue)
        app = create_app(database, temporal, temporal_client=client)
        web = uvicorn.Server(uvicorn.Config(app, host=api.host, port=api.port, log_level="warning"))
        async with worker:
            serving = asyncio.create_task(web.serve())
            service = CaseService(sessions, client, temporal.task_queue, temporal.search_attributes)
            tokens = await load_demo(sessions, service, DATA_DIR / "demo-tokens.json")
            print(banner(api, temporal, sink.directory, tokens), flush=True)
            await serving
        await engine.dispose()
    finally:
        sink.stop()
        if server is not None:
            server.terminate()
            server.wait(timeout=20)


def banner(api: ApiSettings, temporal: TemporalSettings, mail_dir: Path, tokens: DemoTokens) -> str:
    """What `make run` prints once everything is up: addresses, demo logins and tokens."""
    base = f"http://{api.host}:{api.port}"
    logins = "\n".join(f"  {d.role:<14}{d.email:<36}{d.password}" for d in DEMO_LOGINS)
    return f"""
Fil rouge est démarré.
  Pages (navigateur)       : {base}/
  API et sa documentation  : {base}/docs
  Interface Temporal       : {temporal.ui_url}
  Courriels envoyés        : {mail_dir}/ (un fichier .eml par message)
  Données                  : {DATA_DIR}/ (filrouge.db, temporal.db)

Comptes de démonstration pour les pages ({base}/connexion), plateforme psad-demo
(développement seulement) :
  {"rôle":<14}{"courriel":<36}mot de passe
{logins}

Jetons d'API de démonstration (psad-express compte ses délais en minutes) :
  référent          REF={tokens.referent}
  coordinateur      COORD={tokens.coordinator}
  administrateur    ADMIN={tokens.admin}
  référent express  EXPRESS={tokens.express_referent}

Essayez :  curl -s -H "Authorization: Bearer {tokens.referent}" {base}/cases
Arrêt : Ctrl-C.
"""
