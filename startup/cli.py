"""The `filrouge` command: dev stack, worker, API, migrations, first admin, list import."""

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


def _migrate(_: argparse.Namespace) -> None:
    from filrouge.store.migrate import upgrade

    upgrade(DatabaseSettings().database_url)
    print("Database schema is up to date.")


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
    from startup.schedules import ensure_purge_schedule
    from startup.worker import build_worker

    temporal, database = TemporalSettings(), DatabaseSettings()
    converter = data_converter(payload_key_ring(SecuritySettings()))
    client = await connect_when_ready(temporal.address, temporal.namespace, converter)
    engine = make_engine(database.database_url)
    worker = build_worker(
        client,
        temporal.task_queue,
        make_sessionmaker(engine),
        SmtpSettings(),
        ApiSettings().public_url,
    )
    await ensure_purge_schedule(client, temporal.task_queue)
    try:
        await worker.run()
    finally:
        await engine.dispose()


def _dev(_: argparse.Namespace) -> None:
    from startup.devstack import run_dev_stack

    try:
        asyncio.run(run_dev_stack())
    except KeyboardInterrupt:
        print("\nFil rouge stopped.")


def _create_admin(args: argparse.Namespace) -> None:
    asyncio.run(create_admin(args.name, args.email))


async def create_admin(name: str, email: str) -> None:
    """Create an administrator and print their personal API token once."""
    from api.reference_service import ReferenceService
    from api.schemas import UserIn
    from filrouge.core.domain import Role
    from filrouge.store.engine import make_engine, make_sessionmaker, transaction

    engine = make_engine(DatabaseSettings().database_url)
    async with transaction(make_sessionmaker(engine)) as session:
        user, token = await ReferenceService(session).create_user(
            UserIn(display_name=name, email=email, role=Role.ADMIN)
        )
    await engine.dispose()
    print(f"Administrator {user.id} created. Token (shown once): {token.token}")


def _import(args: argparse.Namespace) -> None:
    from startup.import_client import import_file

    sys.exit(import_file(args.file, args.api_url, args.token, sys.stdout))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="filrouge", description="Fil rouge")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("dev", help="start the whole embedded stack (make run)").set_defaults(func=_dev)
    sub.add_parser("worker", help="run the Temporal worker").set_defaults(func=_worker)
    sub.add_parser("api", help="serve the HTTP API").set_defaults(func=_api)
    sub.add_parser("migrate", help="apply database migrations").set_defaults(func=_migrate)
    admin = sub.add_parser("create-admin", help="create an administrator and print a token")
    admin.add_argument("--name", required=True)
    admin.add_argument("--email", required=True)
    admin.set_defaults(func=_create_admin)
    upload = sub.add_parser(
        "import", help="import a list (CSV or XLSX) through the API, with a progress bar"
    )
    upload.add_argument("file", type=Path, help="the list: CSV (UTF-8 or Windows) or XLSX")
    upload.add_argument("--token", help="personal API token (default: $FILROUGE_TOKEN)")
    upload.add_argument("--api-url", help="API address (default: $FILROUGE_API_URL or local)")
    upload.set_defaults(func=_import)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    for noisy in ("alembic", "mail.log", "httpx"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    args.func(args)


if __name__ == "__main__":
    main(sys.argv[1:])
