"""The import workflow on the real dev server, with the real activities, database and SMTP sink."""

from __future__ import annotations

import asyncio
import hashlib
import random
import tempfile
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.intake import IntakeActivities
from filrouge.core.cases.steps import CloseCaseInput
from filrouge.core.clock import utcnow
from filrouge.core.domain import Actor, Outcome, Role, Stage
from filrouge.core.intake_contracts import ImportCounts, StageImportInput, StageImportResult
from filrouge.intake.kept import is_kept_copy, read_kept
from filrouge.intake.reader import read_list_file
from filrouge.mail.sink import MailSink
from filrouge.services.cases.launch import case_workflow_id, send_step
from filrouge.settings import SmtpSettings
from filrouge.store.audit_repository import AuditRepository
from filrouge.store.engine import transaction
from filrouge.store.intake_repository import ImportRepository
from filrouge.store.models import (
    AuditEvent,
    Case,
    DuplicateReview,
    Import,
    ImportFile,
    ImportRow,
    Platform,
    Structure,
    User,
)
from startup.worker import build_worker
from workflows.case import CaseWorkflow
from workflows.intake import ImportWorkflow, ImportWorkflowInput, import_workflow_id

TODAY = date.today()
HEADER = "INE;Nom;Prénom;Date de naissance;Code postal;Code commune INSEE;Date de sortie"


def born(years: int) -> str:
    return (TODAY - timedelta(days=365 * years + 40)).strftime("%d/%m/%Y")


def left(days: int) -> str:
    return (TODAY - timedelta(days=days)).strftime("%d/%m/%Y")


def csv_list(*rows: str) -> bytes:
    return ("\n".join([HEADER, *rows]) + "\n").encode("utf-8")


# Territories must not overlap between tests sharing a database: each test takes its codes.
_CODES = iter(random.Random(35).sample(range(100, 1000), 900))


@dataclass
class Platforms:
    """`main` covers two communes and a postal code; `other` all of Corse-du-Sud (2A)."""

    main: str
    other: str
    coordinator: str
    coordinator_email: str
    ml_referents: list[str]
    mlds_referent: str
    communes: tuple[str, str] = ("", "")
    postal_code: str = ""


async def seed(sessions: async_sessionmaker[AsyncSession], corsica: bool = False) -> Platforms:
    p, o, now = f"pm-{uuid.uuid4().hex[:8]}", f"po-{uuid.uuid4().hex[:8]}", utcnow()
    ps = Platforms(p, o, f"{p}-coord", f"coord.{p}@psad.example", [f"{p}-ml1", f"{p}-ml2"], "")
    ps.mlds_referent = f"{p}-mlds1"
    ps.communes = (f"35{next(_CODES)}", f"35{next(_CODES)}")
    ps.postal_code = f"35{next(_CODES)}"

    def user(uid: str, role: Role, platform: str, structure: str | None) -> User:
        email = ps.coordinator_email if role == Role.COORDINATEUR else f"{uid}@psad.example"
        return User(
            id=uid,
            display_name=uid,
            email=email,
            role=role.value,
            platform_id=platform,
            structure_id=structure,
            active=True,
            created_at=now,
        )

    territory = {"communes": list(ps.communes), "postal_codes": [ps.postal_code]}
    other = {"departements": ["2A"]} if corsica else {}
    rows: list[object] = [
        Platform(id=p, name="PSAD Rennes", region="Bretagne", territory=territory, created_at=now),
        Platform(id=o, name="PSAD Corse", territory=other, created_at=now),
        Structure(id=f"{p}-ml", platform_id=p, name="ML Rennes", kind="mission_locale"),
        Structure(id=f"{p}-mlds", platform_id=p, name="MLDS Rennes", kind="mlds"),
        Structure(id=f"{o}-ml", platform_id=o, name="ML Ajaccio", kind="mission_locale"),
        user(ps.coordinator, Role.COORDINATEUR, p, None),
        *(user(r, Role.REFERENT, p, f"{p}-ml") for r in ps.ml_referents),
        user(ps.mlds_referent, Role.REFERENT, p, f"{p}-mlds"),
        user(f"{o}-ml1", Role.REFERENT, o, f"{o}-ml"),
    ]
    async with transaction(sessions) as session:
        for row in rows:
            session.add(row)
            await session.flush()
    return ps


async def new_import(
    sessions: async_sessionmaker[AsyncSession],
    ps: Platforms,
    content: bytes,
    *,
    stored_as_sent: bool = False,
) -> str:
    """An import as the API stores it (the file as sent, in parts, until it is read); or, with
    `stored_as_sent`, as it was stored before kept copies (the file in `import_files`)."""
    import_id = f"i{uuid.uuid4().hex[:24]}"
    sha = hashlib.sha256(content).hexdigest()
    async with transaction(sessions) as session:
        repo = ImportRepository(session)
        await repo.add(
            Import(
                id=import_id,
                platform_id=ps.main,
                uploaded_by=ps.coordinator,
                filename="liste.csv",
                content_sha256=sha,
                status="pending",
                identified_on=TODAY,
                ignored_columns=[],
                dropped_columns=[],
                created_at=utcnow(),
            ),
        )
        if stored_as_sent:
            session.add(ImportFile(import_id=import_id, content=content))
        else:
            for part, start in enumerate(range(0, len(content), 100)):  # several parts
                await repo.add_upload_part(import_id, part, content[start : start + 100])
    return import_id


@asynccontextmanager
async def worker(
    env: WorkflowEnvironment, sessions: async_sessionmaker[AsyncSession], queue: str, port: int
) -> AsyncIterator[Worker]:
    smtp = SmtpSettings(host="127.0.0.1", port=port)
    async with build_worker(env.client, queue, sessions, smtp, "https://filrouge.test") as w:
        yield w


async def run_import(
    env: WorkflowEnvironment, import_id: str, queue: str, **options: int
) -> WorkflowHandle[ImportWorkflow, ImportCounts]:
    return await env.client.start_workflow(
        ImportWorkflow.run,
        ImportWorkflowInput(import_id=import_id, **options),  # type: ignore[arg-type]
        id=import_workflow_id(import_id),
        task_queue=queue,
    )


async def cases_of(sessions: async_sessionmaker[AsyncSession], import_id: str) -> list[Case]:
    async with transaction(sessions) as session:
        query = (
            select(Case)
            .join(ImportRow, ImportRow.case_id == Case.id)
            .where(ImportRow.import_id == import_id)
            .order_by(ImportRow.row_number)
        )
        return list((await session.execute(query)).unique().scalars())


@pytest.fixture
def queue() -> str:
    return f"import-{uuid.uuid4().hex[:8]}"


async def test_a_list_becomes_routed_assigned_running_cases(
    dev_env: WorkflowEnvironment,
    sessions: async_sessionmaker[AsyncSession],
    mail_sink: MailSink,
    queue: str,
) -> None:
    ps = await seed(sessions, corsica=True)
    (a, b), cp = ps.communes, ps.postal_code
    content = csv_list(
        f"1234567890A;Martin;Léa;{born(17)};;{a};{left(60)}",  # commune, minor, recent: MLDS
        f"1234567891B;Durand;Hugo;{born(20)};{cp};;",  # postal code: Mission locale
        f"1234567892C;Leca;Paul;{born(19)};20000;2A004;",  # département 2A: the other platform
        f"1234567893D;Payet;Inès;{born(19)};97400;97411;",  # no territory: to route
        f"1234567890A;Martin;Léa;{born(17)};;{a};",  # same INE again: one case
        f";Petit;Zoé;31/02/2006;35000;{a};",  # bad date: rejected
        f";Roux;Tom;{born(18)};;{b};",  # no INE, commune: Mission locale
    )
    import_id = await new_import(sessions, ps, content)
    async with worker(dev_env, sessions, queue, mail_sink.port):
        handle = await run_import(dev_env, import_id, queue, batch_size=2)
        counts = await handle.result()
        snapshots = {
            case.id: await dev_env.client.get_workflow_handle(case_workflow_id(case.id)).query(
                CaseWorkflow.snapshot
            )
            for case in await cases_of(sessions, import_id)
        }

    assert (counts.rows_read, counts.created, counts.to_route) == (7, 5, 1)
    assert (counts.rejected, counts.in_file_duplicates, counts.processed) == (1, 1, 7)
    cases = await cases_of(sessions, import_id)
    by_name = {c.identity.last_name: c for c in cases}
    assert by_name["Martin"].referent_id == ps.mlds_referent
    assert by_name["Martin"].stage == Stage.CONTACT.value
    assert by_name["Durand"].referent_id in ps.ml_referents
    assert by_name["Roux"].referent_id in ps.ml_referents
    assert by_name["Durand"].referent_id != by_name["Roux"].referent_id  # least loaded
    assert by_name["Leca"].platform_id == ps.other
    assert by_name["Payet"].platform_id == ps.main
    assert by_name["Payet"].stage == Stage.A_ROUTER.value
    assert by_name["Payet"].next_deadline_kind == "routing_escalation"
    for case in cases:  # the workflow runs and agrees with the read model
        snap = snapshots[case.id]
        assert (snap.stage.value, snap.referent_id) == (case.stage, case.referent_id)
        async with transaction(sessions) as session:
            assert (await AuditRepository(session).verify(case)).ok
    mails = [m.message for m in mail_sink.messages if ps.coordinator_email in m.envelope_to]
    assert len(mails) == 1 and "Import de la liste" in mails[0]["Subject"]
    body = mails[0].get_body(("plain",))
    assert body is not None and "Lignes rejetées : 1" in body.get_content()
    assert await stored_list(sessions, import_id) == (0, 7)  # the file as sent is gone


async def stored_list(
    sessions: async_sessionmaker[AsyncSession], import_id: str
) -> tuple[int, int | None]:
    """Parts of the file as sent still stored, and rows of the kept copy (None: no copy)."""
    async with transaction(sessions) as session:
        repo = ImportRepository(session)
        parts = len(await repo.upload_parts(import_id))
        content = await repo.content(import_id)
    if content is None:
        return parts, None
    assert is_kept_copy(content)
    return parts, len(read_kept(content).rows)


async def test_a_list_stored_as_sent_before_kept_copies_is_read_and_replaced(
    dev_env: WorkflowEnvironment,
    sessions: async_sessionmaker[AsyncSession],
    mail_sink: MailSink,
    queue: str,
) -> None:
    ps = await seed(sessions)
    content = csv_list(f";Morvan;Anne;{born(19)};;{ps.communes[0]};").replace(
        b"\n", b";Observations\n", 1
    )
    import_id = await new_import(sessions, ps, content, stored_as_sent=True)
    async with worker(dev_env, sessions, queue, mail_sink.port):
        counts = await (await run_import(dev_env, import_id, queue)).result()
    assert (counts.status, counts.created) == ("done", 1)
    assert await stored_list(sessions, import_id) == (0, 1)


async def test_known_young_people_are_not_new_cases(
    dev_env: WorkflowEnvironment,
    sessions: async_sessionmaker[AsyncSession],
    mail_sink: MailSink,
    queue: str,
) -> None:
    ps = await seed(sessions)
    roux = "Roux" + "".join(chr(97 + int(c, 16)) for c in uuid.uuid4().hex[:6])
    (a, b), cp = ps.communes, ps.postal_code
    first = csv_list(
        f"2234567890A;Martin;Léa;{born(19)};;{a};",
        f"2234567891B;Durand;Hugo;{born(20)};{cp};;",
        f";{roux};Tom;{born(18)};;{b};",
    )
    second = csv_list(
        f"2234567890A;Martin;Léa;{born(19)};;{a};",  # open case: re-identified
        f"2234567891B;Durand;Hugo;{born(20)};{cp};;",  # closed case: reopened
        f";{roux.upper()};Tom;{born(18)};;{b};",  # no INE, same name and birth: review
    )
    async with worker(dev_env, sessions, queue, mail_sink.port):
        first_id = await new_import(sessions, ps, first)
        assert (await (await run_import(dev_env, first_id, queue)).result()).created == 3
        cases = {c.identity.last_name: c for c in await cases_of(sessions, first_id)}
        closing = CloseCaseInput(Actor(ps.coordinator, Role.COORDINATEUR), Outcome.REFUS)
        handle = dev_env.client.get_workflow_handle(case_workflow_id(cases["Durand"].id))
        await send_step(handle, closing, "close-durand")
        second_id = await new_import(sessions, ps, second)
        counts = await (await run_import(dev_env, second_id, queue)).result()

    assert (counts.created, counts.reidentified, counts.possible_duplicates) == (0, 2, 1)
    async with transaction(sessions) as session:
        total = await session.scalar(
            select(func.count()).select_from(Case).where(Case.platform_id == ps.main)
        )
        assert total == 3
        durand = await session.get(Case, cases["Durand"].id)
        assert durand is not None and durand.stage == Stage.CONTACT.value
        kinds = (
            await session.execute(
                select(AuditEvent.kind).where(AuditEvent.case_id == cases["Martin"].id)
            )
        ).scalars()
        assert "reidentified" in list(kinds)
        review = (
            await session.execute(
                select(DuplicateReview).where(DuplicateReview.import_id == second_id)
            )
        ).scalar_one()
        assert review.candidate_case_ids == [cases[roux].id] and review.status == "open"


async def test_a_malformed_file_fails_alone_and_changes_nothing(
    dev_env: WorkflowEnvironment,
    sessions: async_sessionmaker[AsyncSession],
    mail_sink: MailSink,
    queue: str,
) -> None:
    ps = await seed(sessions)
    import_id = await new_import(sessions, ps, b"%PDF-1.4 not a list")
    async with worker(dev_env, sessions, queue, mail_sink.port):
        counts = await (await run_import(dev_env, import_id, queue)).result()
    assert counts.status == "failed" and counts.rows_read == 0
    async with transaction(sessions) as session:
        imp = await session.get(Import, import_id)
        assert imp is not None and imp.error is not None and "CSV" in imp.error
        assert not await ImportRepository(session).has_rows(import_id)
    assert await stored_list(sessions, import_id) == (0, None)  # nothing of it is kept


async def test_a_worker_killed_mid_import_leaves_exact_totals(
    dev_env: WorkflowEnvironment,
    sessions: async_sessionmaker[AsyncSession],
    mail_sink: MailSink,
    queue: str,
) -> None:
    ps = await seed(sessions)
    rows = [f"3{n:09d}A;Nom{chr(65 + n)};Jean;{born(19)};;{ps.communes[0]};" for n in range(10)]
    import_id = await new_import(sessions, ps, csv_list(*rows))
    async with worker(dev_env, sessions, queue, mail_sink.port):
        handle = await run_import(dev_env, import_id, queue, batch_size=2, parallel_batches=1)
        while True:  # stop the worker as soon as the first batch is placed and started
            async with transaction(sessions) as session:
                _, done = await ImportRepository(session).status_counts(import_id)
            if done >= 2:
                break
            await asyncio.sleep(0.05)
    async with transaction(sessions) as session:
        _, done_before = await ImportRepository(session).status_counts(import_id)
    assert done_before < 10, "the import finished before the worker stopped"
    async with worker(dev_env, sessions, queue, mail_sink.port):
        counts = await handle.result()

    assert (counts.rows_read, counts.created, counts.processed) == (10, 10, 10)
    cases = await cases_of(sessions, import_id)
    assert len({c.id for c in cases}) == 10
    for case in cases:
        assert case.audit_seq == 3  # identified, assigned, stage changed: once each
        desc = await dev_env.client.get_workflow_handle(case_workflow_id(case.id)).describe()
        assert desc.run_id is not None
    mails = [m for m in mail_sink.messages if ps.coordinator_email in m.envelope_to]
    assert len(mails) == 1


async def test_a_worker_gone_while_reading_leaves_the_file_as_sent_for_the_next_one(
    dev_env: WorkflowEnvironment,
    sessions: async_sessionmaker[AsyncSession],
    mail_sink: MailSink,
    queue: str,
) -> None:
    ps = await seed(sessions)
    rows = [f"4{n:09d}A;Nom{chr(65 + n)};Jean;{born(19)};;{ps.communes[0]};" for n in range(3)]
    import_id = await new_import(sessions, ps, csv_list(*rows))
    smtp = SmtpSettings(host="127.0.0.1", port=mail_sink.port)
    real = IntakeActivities(sessions, smtp, "https://filrouge.test")
    read = asyncio.Event()

    @activity.defn(name="stage_import")
    async def reads_then_stops(input: StageImportInput) -> StageImportResult:
        """The real copy and reading, then the worker is gone before the staging commits."""
        with tempfile.TemporaryFile() as file:
            await real.copy_upload(input.import_id, file)
            read_list_file(file)
        read.set()
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    handle = await run_import(dev_env, import_id, queue)
    async with Worker(
        dev_env.client, task_queue=queue, workflows=[ImportWorkflow], activities=[reads_then_stops]
    ):
        await asyncio.wait_for(read.wait(), 60)
    assert await stored_list(sessions, import_id) == (3, None)  # still there, nothing kept
    async with transaction(sessions) as session:
        assert not await ImportRepository(session).has_rows(import_id)

    async with worker(dev_env, sessions, queue, mail_sink.port):
        counts = await handle.result()

    assert (counts.status, counts.rows_read, counts.created) == ("done", 3, 3)
    assert await stored_list(sessions, import_id) == (0, 3)
