"""Personal data never reaches a log: every logger at DEBUG, during a full pathway, an import
and mail activities failing against an SMTP server that is down; and a failed statement's
error does not quote its parameters."""

from __future__ import annotations

import logging
import random
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.testing import WorkflowEnvironment

from filrouge.store.engine import make_engine, transaction
from filrouge.store.models import CaseIdentity
from tests.api.conftest import Api, Member, running_api
from tests.api.test_intake_api import csv_bytes, imported

TODAY = date.today()
BIRTH = TODAY - timedelta(days=365 * 19 + 47)
IMPORTED_BIRTH = TODAY - timedelta(days=365 * 20 + 113)
PERSON = {
    "last_name": "Quoniamzed",
    "first_name": "Ysalinette",
    "birth_date": BIRTH.isoformat(),
    "ine": "0987654321Q",
    "address": "17 impasse des Grivelines",
    "phone": "06 98 76 54 32",
    "email": "ysalinette.quoniamzed@exemple.fr",
    "guardian_name": "Orfeuil Quoniamzed",
    "guardian_phone": "07 11 22 33 44",
}
IMPORTED = ["0876543210W", "Varlopinski", "Aurelbine", IMPORTED_BIRTH.strftime("%d/%m/%Y")]
HEADER = ["INE", "Nom", "Prénom", "Date de naissance", "Code commune INSEE", "Téléphone"]
IMPORTED_PHONE = "06 55 44 33 21"


def seeded_values() -> list[str]:
    """Every personal value the test sends, in the forms code might write them."""
    values = [v for k, v in PERSON.items() if k != "birth_date"] + IMPORTED + [IMPORTED_PHONE]
    values += ["0698765432", "0711223344", "0655443321", "Ysalinette".upper()]
    for day in (BIRTH, IMPORTED_BIRTH):
        values += [day.isoformat(), day.strftime("%d/%m/%Y"), repr(day)]
    return values


class Everything(logging.Handler):
    """Keeps every record, formatted with its traceback."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@contextmanager
def every_log_record() -> Iterator[Everything]:
    """Every logger at DEBUG (those with a level of their own too), all into one handler."""
    handler = Everything()
    loggers = [logging.getLogger(name) for name in list(logging.root.manager.loggerDict)]
    levels = {logger: logger.level for logger in loggers}
    root_level = logging.root.level
    for logger in loggers:
        logger.setLevel(logging.NOTSET)
        if not logger.propagate:
            logger.addHandler(handler)
    logging.root.setLevel(logging.DEBUG)
    logging.root.addHandler(handler)
    try:
        yield handler
    finally:
        logging.root.removeHandler(handler)
        logging.root.setLevel(root_level)
        for logger, level in levels.items():
            logger.setLevel(level)
            logger.removeHandler(handler)


def leaks(lines: list[str]) -> list[tuple[str, str]]:
    return [(value, line[:300]) for line in lines for value in seeded_values() if value in line]


def closed_port() -> int:
    """A loopback port nobody listens on: the SMTP server is down."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def walk(api: Api, case_id: str, referent: Member, coordinator: Member) -> None:
    interview_at = (datetime.now(UTC) + timedelta(days=3)).replace(microsecond=0)
    start = (TODAY + timedelta(days=10)).isoformat()
    solution = {"type": "e2c", "structure": "E2C Digne", "start_date": start}
    steps: list[tuple[str, dict[str, Any], Member]] = [
        ("contact-attempts", {"channel": "sms", "result": "joint"}, referent),
        ("contact-outcome", {"outcome": "accepte_entretien"}, referent),
        ("interview", {"at": interview_at.isoformat(), "place": "CIO Digne"}, referent),
        ("interview/result", {"held": True}, referent),
        ("proposals", {"solutions": [solution]}, referent),
        ("decision", {"decision": "valider"}, coordinator),
        ("entry", {"entered": True, "on": TODAY.isoformat()}, referent),
        ("follow-ups", {"status": "maintenu"}, referent),
        ("follow-ups", {"status": "maintenu"}, referent),
        ("follow-ups", {"status": "maintenu"}, referent),
    ]
    for path, body, who in steps:
        await api.step(case_id, path, body, who)


async def test_no_personal_value_is_logged_during_a_pathway_an_import_and_failing_mails(
    dev_env: WorkflowEnvironment, database_url: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    commune = f"04{random.Random(uuid.uuid4().int).randrange(100, 1000)}"
    with every_log_record() as logs:
        async with running_api(dev_env, database_url, sessions, closed_port()) as api:
            async with api.new_worker():
                team = await api.team(territory={"communes": [commune]})
                case = await api.create_case(team, person=PERSON | {"commune_insee": commune})
                referent = team.member(case["referent_id"])
                await walk(api, case["id"], referent, team.coordinator)
                closed = await api.case(case["id"], team.coordinator)
                row = [*IMPORTED, commune, IMPORTED_PHONE]
                done = await imported(api, team.coordinator, csv_bytes([row], HEADER))
                referral = {"source": "cio", "person": PERSON | {"commune_insee": commune}}
                referred = await api.http.post(
                    "/referrals", json=referral, headers=team.partner.headers
                )

    assert done["status"] == "done" and done["created"] == 1
    assert closed["stage"] == "cloture"
    assert referred.status_code == 201, referred.text
    assert any("smtp" in line.lower() or "mail" in line.lower() for line in logs.lines)
    assert any("sqlalchemy.engine" in line for line in logs.lines)  # DEBUG really was on
    assert leaks(logs.lines) == []


async def test_a_failed_statement_never_quotes_its_values(database_url: str) -> None:
    engine = make_engine(database_url)
    with every_log_record() as logs:
        try:
            async with transaction(async_sessionmaker(engine)) as session:
                row = {"case_id": f"c-absent-{uuid.uuid4().hex[:6]}"} | {
                    k: v for k, v in PERSON.items() if k not in ("birth_date", "ine")
                }
                await session.execute(insert(CaseIdentity).values(**row))
        except IntegrityError as exc:
            logging.getLogger("filrouge.test").exception("insert refused")
            error = str(exc)
        else:
            raise AssertionError("an identity without its case was accepted")
        finally:
            await engine.dispose()

    assert "parameters hidden" in error
    assert leaks([error, *logs.lines]) == []
