"""The admin command line: the first administrator, in French, with a working token and a
trace in the admin audit log."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.sessions import digest
from filrouge.settings import ApiSettings, TemporalSettings
from filrouge.store.engine import transaction
from filrouge.store.models import AdminAuditEvent, ApiToken, User
from startup.cli import create_admin, main
from startup.demo import DemoTokens
from startup.devstack import banner


async def test_create_admin_prints_in_french_a_token_that_is_stored_hashed_and_audited(
    database_url: str,
    sessions: async_sessionmaker[AsyncSession],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    email = f"admin-{uuid.uuid4().hex[:6]}@region.fr"

    await create_admin("Administration régionale", email)

    out = capsys.readouterr().out
    found = re.fullmatch(
        r"Administrateur (u\w+) créé\.\n"
        r"Jeton personnel \(affiché une seule fois, conservez-le\) : (fr_[\w-]+)\n",
        out,
    )
    assert found, out
    user_id, token = found.groups()
    async with transaction(sessions) as session:
        user = await session.get(User, user_id)
        stored = await session.scalar(select(ApiToken).where(ApiToken.user_id == user_id))
        audit = (
            await session.scalars(
                select(AdminAuditEvent).where(AdminAuditEvent.target_user_id == user_id)
            )
        ).all()
    assert user is not None and user.role == "admin" and user.email == email
    assert stored is not None and stored.token_hash == digest(token)
    assert [(e.action, e.actor_id) for e in audit] == [
        ("user_created", None),
        ("token_created", None),
    ]
    assert token not in str([e.details for e in audit])


def test_the_commands_are_described_in_french(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])

    out = capsys.readouterr().out
    for text in ("créer un administrateur", "appliquer les migrations", "lancer le worker"):
        assert text in out


ENGLISH = (
    "usage:",
    "show this help",
    "positional arguments",
    "error:",
    "required:",
    "invalid choice",
)


def test_help_and_usage_errors_are_in_french(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["--help"], ["import", "--help"], ["create-admin", "--help"]):
        with pytest.raises(SystemExit):
            main(argv)
    helps = capsys.readouterr().out
    refusals = {}
    for argv in ([], ["create-admin"], ["inventee"], ["migrate", "--en-trop"]):
        with pytest.raises(SystemExit) as exited:
            main(argv)
        assert exited.value.code == 2
        refusals[" ".join(argv)] = capsys.readouterr().err

    for text in (helps, *refusals.values()):
        assert not any(english in text for english in ENGLISH), text
    assert "utilisation : filrouge" in helps and "afficher cette aide" in helps
    assert "arguments obligatoires manquants : --name, --email" in refusals["create-admin"]
    assert "choix invalide 'inventee'" in refusals["inventee"]
    assert "arguments inconnus : --en-trop" in refusals["migrate --en-trop"]


def test_bad_input_is_refused_in_french_without_a_traceback(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)

    with pytest.raises(SystemExit) as exited:
        main(["create-admin", "--name", "Admin", "--email", "pas-une-adresse"])

    assert exited.value.code == 1
    assert capsys.readouterr().err == "Erreur : « courriel » : adresse électronique invalide\n"


def test_the_dev_stack_banner_is_in_french(tmp_path: Path) -> None:
    tokens = DemoTokens(referent="r", coordinator="c", admin="a", express_referent="e")

    text = banner(ApiSettings(), TemporalSettings(), tmp_path / "mail", tokens)

    assert "Fil rouge est démarré." in text and "Arrêt : Ctrl-C." in text
    for english in ("is running", "Demo", "Try", "Stop with", "Mails sent", "password"):
        assert english not in text, english
