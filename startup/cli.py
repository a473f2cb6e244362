"""The `filrouge` command: dev stack, worker, API, migrations, first admin, list import.

Its output is in French, like everything its users read."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path

from filrouge.settings import (
    ApiSettings,
    DatabaseSettings,
    SecuritySettings,
    SmtpSettings,
    TemporalSettings,
)
from startup.cli_parser import FrenchArgumentParser


def _migrate(_: argparse.Namespace) -> None:
    from filrouge.store.migrate import upgrade

    upgrade(DatabaseSettings().database_url)
    print("Le schéma de la base de données est à jour.")


def _api(_: argparse.Namespace) -> None:
    import uvicorn

    from api.app import create_app

    SecuritySettings()  # refuse to start with the development secret in production
    api = ApiSettings()
    uvicorn.run(create_app(), host=api.host, port=api.port, proxy_headers=True)


def _worker(_: argparse.Namespace) -> None:
    asyncio.run(run_worker())


async def run_worker() -> None:
    """Run the worker against TEMPORAL_ADDRESS until interrupted."""
    from filrouge.store.engine import make_engine, make_sessionmaker
    from filrouge.temporal.codec import payload_key_ring
    from filrouge.temporal.server import connect_when_ready, data_converter
    from startup.schedules import ensure_schedules
    from startup.stored_lists import keep_read_copies_logged
    from startup.worker import build_worker

    temporal, database = TemporalSettings(), DatabaseSettings()
    converter = data_converter(payload_key_ring(SecuritySettings()))
    client = await connect_when_ready(temporal.address, temporal.namespace, converter)
    engine = make_engine(database.database_url)
    sessions = make_sessionmaker(engine)
    worker = build_worker(
        client, temporal.task_queue, sessions, SmtpSettings(), ApiSettings().public_url
    )
    await ensure_schedules(client, temporal.task_queue)
    converting = asyncio.create_task(keep_read_copies_logged(sessions))
    try:
        await worker.run()
    finally:
        converting.cancel()
        await engine.dispose()


def _dev(_: argparse.Namespace) -> None:
    from startup.devstack import run_dev_stack

    try:
        asyncio.run(run_dev_stack())
    except KeyboardInterrupt:
        print("\nFil rouge est arrêté.")


def _create_admin(args: argparse.Namespace) -> None:
    asyncio.run(create_admin(args.name, args.email))


async def create_admin(name: str, email: str) -> None:
    """Create an administrator and print their personal API token once (the bootstrap:
    whoever runs this command already holds the database)."""
    from api.schemas import UserIn
    from filrouge.core.domain import Role
    from filrouge.services.auth.tokens import create_user_with_token
    from filrouge.store.engine import make_engine, make_sessionmaker, transaction

    engine = make_engine(DatabaseSettings().database_url)
    async with transaction(make_sessionmaker(engine)) as session:
        user, token = await create_user_with_token(
            session, UserIn(display_name=name, email=email, role=Role.ADMIN), "create-admin"
        )
    await engine.dispose()
    print(f"Administrateur {user.id} créé.")
    print(f"Jeton personnel (affiché une seule fois, conservez-le) : {token.token}")


def _import(args: argparse.Namespace) -> None:
    from startup.import_client import import_file

    sys.exit(import_file(args.file, args.api_url, args.token, sys.stdout))


def main(argv: list[str] | None = None) -> None:
    parser = FrenchArgumentParser(
        prog="filrouge", description="Fil rouge : suivi des jeunes sortis sans qualification"
    )
    sub = parser.add_subparsers(
        dest="command", required=True, title="commandes", metavar="commande"
    )
    sub.add_parser("dev", help="démarrer toute la pile embarquée (make run)").set_defaults(
        func=_dev
    )
    sub.add_parser("worker", help="lancer le worker Temporal").set_defaults(func=_worker)
    sub.add_parser("api", help="servir l'API HTTP").set_defaults(func=_api)
    sub.add_parser("migrate", help="appliquer les migrations de la base de données").set_defaults(
        func=_migrate
    )
    admin = sub.add_parser("create-admin", help="créer un administrateur et afficher son jeton")
    admin.add_argument("--name", required=True, metavar="NOM", help="nom affiché")
    admin.add_argument("--email", required=True, metavar="COURRIEL", help="adresse électronique")
    admin.set_defaults(func=_create_admin)
    upload = sub.add_parser(
        "import", help="importer une liste (CSV ou XLSX) par l'API, avec une barre de progression"
    )
    upload.add_argument(
        "file", type=Path, metavar="fichier", help="la liste : CSV (UTF-8 ou Windows) ou XLSX"
    )
    upload.add_argument(
        "--token", metavar="JETON", help="jeton personnel (par défaut : $FILROUGE_TOKEN)"
    )
    upload.add_argument(
        "--api-url",
        metavar="ADRESSE",
        help="adresse de l'API (par défaut : $FILROUGE_API_URL ou locale)",
    )
    upload.set_defaults(func=_import)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    for noisy in ("alembic", "mail.log", "httpx"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    try:
        args.func(args)
    except Exception as error:
        message = _french_failure(error)
        if message is None:
            raise
        print(f"Erreur : {message}", file=sys.stderr)
        sys.exit(1)


def _french_failure(error: Exception) -> str | None:
    """The French reason of an expected failure (bad input, a refusal); None otherwise."""
    from pydantic import ValidationError

    from api.errors import french_field_errors
    from filrouge.core.errors import DomainError

    if isinstance(error, DomainError):
        return error.message
    if isinstance(error, ValidationError):
        return " ; ".join(french_field_errors(error.errors()))
    return None


if __name__ == "__main__":
    main(sys.argv[1:])
