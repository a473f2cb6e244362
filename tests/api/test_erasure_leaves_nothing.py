"""Erasure erases: after it, none of a young person's values is left anywhere.

Two young people get a distinctive value in every identity field (all the fields that
`core.identity` declares) and in every free text a user can type about them (notes, contact
outcome, commune, reopening motive, interview place, proposed structures, decision comment,
closing motive; lower-case and code-like texts included), a rectification, a possible
duplicate merged into their case and a keyed creation; both come from an uploaded list.
One is erased on request (their row leaves the kept copy of the list), the other by the
retention purge (the list goes). Then every table of the database is dumped (and, on SQLite,
the raw database file and its log read), and every Temporal history started since the test
began is fetched and its payloads decoded: none of the values may be found. The chains still
verify.
"""

from __future__ import annotations

import random
import string
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from google.protobuf.message import Message
from sqlalchemy import func, inspect, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection
from temporalio.api.common.v1 import Payload
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from filrouge.core.cases.lifecycle import CloseCaseInput
from filrouge.core.clock import utcnow
from filrouge.core.domain import Outcome
from filrouge.core.identity import IDENTITY_FIELDS, LABELS, LIST_FIELDS
from filrouge.mail.sink import MailSink
from filrouge.store.engine import transaction
from filrouge.store.models import Case, CaseKey, Import, ImportFile, ImportRow, OutboxMessage
from tests.api.conftest import Api, Team
from tests.api.test_retention import purge
from tests.support.imports import imported
from tests.support.territory import Territory
from tests.support.waiting import history_deleted
from tests.workflows.test_case_workflow import (
    CaseRun,
    running_worker,
    seed_platform,
    start_case,
    wait_for_mail,
)
from tests.workflows.test_no_personal_data_in_temporal import fired_deadline

# Identity fields whose value is a code shared with others (the platform's own territory,
# a sex): they are erased with the identity row, but cannot be told apart in a dump.
NOT_DISTINCTIVE = {"sex", "postal_code", "commune_insee", "convocation_consent"}


def letters(n: int = 8) -> str:
    return "".join(random.choices(string.ascii_lowercase, k=n))


def digits(n: int) -> str:
    return "".join(random.choices(string.digits, k=n))


@dataclass
class StoredDays:
    """The days already written in the suite's shared database (its rows, its files), and those
    this test gave out. A needle must name one young person only: another test's young person
    born on a seeded day would pass for a leftover."""

    values: str = ""
    files: bytes = b""
    given: set[date] = field(default_factory=set)

    @classmethod
    async def of(cls, api: Api) -> StoredDays:
        async with api.sessions() as session:
            values = "\n".join(value for _, _, value in await dump(await session.connection()))
        return cls(values, database_files(api))

    def free(self, day: date) -> bool:
        forms = (day.isoformat(), day.strftime("%d/%m/%Y"))
        stored = any(f in self.values or f.encode() in self.files for f in forms)
        return day not in self.given and not stored

    def draw(self, make: Callable[[], date], days: int = 1) -> date:
        """A day from `make` that is free with the `days - 1` days after it, given out."""
        for _ in range(1000):
            day = make()
            span = [day + timedelta(days=n) for n in range(days)]
            if all(self.free(d) for d in span):
                self.given.update(span)
                return day
        raise AssertionError("no free day found")


@dataclass
class Young:
    """One young person's distinctive values, and the texts typed about them."""

    word: str = field(default_factory=letters)
    identity: dict[str, Any] = field(default_factory=dict)
    texts: list[str] = field(default_factory=list)

    @classmethod
    def seeded(cls, territory: Territory, days: StoredDays | None = None) -> Young:
        """A young person of `territory` with distinctive values; their birth date (and the
        day after, its rectification) and leaving date are free in `days`."""
        young, days = cls(), days or StoredDays()
        w, big = young.word, young.word.capitalize()
        year = date.today().year - 18
        birth = days.draw(lambda: date(year, random.randint(1, 12), random.randint(1, 28)), 2)
        leaving = days.draw(lambda: birth + timedelta(days=365 * 16 + random.randint(1, 300)))
        young.identity = {
            "last_name": f"Xq{w}",
            "first_name": f"Yv{w}",
            "sex": "F",
            "birth_date": birth.isoformat(),
            "ine": f"{digits(10)}K",
            "address": f"{random.randint(2, 99)} rue {big}",
            "postal_code": territory.postal_code,
            "commune_insee": territory.commune,
            "commune_name": f"Bourg{w}",
            "phone": f"06{digits(8)}",
            "email": f"{w}@exemple.fr",
            "guardian_name": f"Gard{w}",
            "guardian_phone": f"07{digits(8)}",
            "school_uai": f"{digits(7)}Z",
            "school_name": f"Lycee {big}",
            "last_training": f"CAP {big}",
            "level": f"niv{w}",
            "leaving_date": leaving.isoformat(),
            "convocation_consent": True,
        }
        return young

    def needles(self) -> Iterator[str]:
        """Every value that names this young person, as it may be stored or shown."""
        for name, value in self.identity.items():
            if name in NOT_DISTINCTIVE:
                continue
            yield str(value)
            if name.endswith("_date"):
                yield date.fromisoformat(value).strftime("%d/%m/%Y")
        yield from self.texts
        yield self.word


def test_every_identity_field_is_seeded() -> None:
    """A new identity field gets its distinctive value here, or the test says why not."""
    young = Young.seeded(Territory(("48999",), ("48999",)))
    assert set(young.identity) == {f.name for f in IDENTITY_FIELDS}
    assert NOT_DISTINCTIVE <= set(young.identity)


async def walk_with_texts(api: Api, team: Team, case_id: str, young: Young) -> None:
    """Every human step that takes a free text, each text naming the young person."""
    w, big = young.word, young.word.capitalize()
    case = await api.case(case_id, team.coordinator)
    referent, coordinator = team.member(case["referent_id"]), team.coordinator
    at = (utcnow() + timedelta(days=2)).replace(microsecond=0).isoformat()
    steps: list[tuple[str, dict[str, Any], Any]] = [
        ("contact-attempts", {"channel": "sms", "result": "joint"}, referent),
        ("contact-outcome", {"outcome": "demenage", "new_commune": f"albi{w}"}, referent),
        ("reopen", {"reason": f"rappel_{w}"}, referent),
        ("contact-outcome", {"outcome": "accepte_entretien", "reason": f"accord_{w}"}, referent),
        ("interview", {"at": at, "place": f"Chez {big}, 3 impasse {big}"}, referent),
        ("interview/result", {"held": True}, referent),
    ]
    start = date.today().isoformat()
    solutions = [
        {"type": "e2c", "structure": f"e2c {w}", "start_date": start},
        {"type": "cej", "structure": f"Mission {big}", "start_date": start},
    ]
    steps += [
        ("proposals", {"solutions": solutions}, referent),
        ("decision", {"decision": "valider", "comment": f"avis_{w}"}, coordinator),
        ("entry", {"entered": True, "on": start}, referent),
        ("close", {"outcome": "autre", "reason": f"incarceration_{w}"}, coordinator),
    ]
    for path, body, who in steps:
        await api.step(case_id, path, body, who)
    young.texts += [
        f"albi{w}",
        f"rappel_{w}",
        f"accord_{w}",
        big,
        f"e2c {w}",
        f"avis_{w}",
        f"incarceration_{w}",
    ]


async def around_the_case(api: Api, team: Team, case_id: str, young: Young) -> None:
    """A note, a rectification (new school, new birth date), a merged possible duplicate."""
    headers = team.coordinator.headers
    note = f"Note sur {young.word.capitalize()} : rappeler"
    response = await api.http.post(f"/cases/{case_id}/notes", json={"text": note}, headers=headers)
    assert response.status_code == 201, response.text
    birth = date.fromisoformat(young.identity["birth_date"]) + timedelta(days=1)
    rectified = {"school_name": f"Rectlycee{young.word}", "birth_date": birth.isoformat()}
    response = await api.http.patch(f"/cases/{case_id}/person", json=rectified, headers=headers)
    assert response.status_code == 200, response.text
    young.texts += [note, f"Rectlycee{young.word}", birth.isoformat()]
    young.identity["birth_date"] = birth.isoformat()
    same = {k: young.identity[k] for k in ("last_name", "first_name", "birth_date")}
    person = same | {"postal_code": young.identity["postal_code"], "phone": f"06{digits(8)}"}
    referral = {"source": "association", "person": person}
    response = await api.http.post("/referrals", json=referral, headers=team.partner.headers)
    assert response.status_code == 201 and response.json()["status"] == "duplicate_review"
    reviews = (await api.http.get("/duplicates", headers=headers)).json()
    review = next(r for r in reviews if case_id in r["candidate_case_ids"])
    merged = await api.http.post(
        f"/duplicates/{review['id']}/merge", json={"case_id": case_id}, headers=headers
    )
    assert merged.status_code == 200, merged.text
    young.texts.append(person["phone"])


async def identified_again(api: Api, team: Team, young: Young, case_id: str) -> None:
    """The same young person sent again by POST /cases, with an Idempotency-Key."""
    body = {"platform_id": team.platform_id, "source": "siei", "person": dict(young.identity)}
    headers = team.coordinator.headers | {"Idempotency-Key": uuid.uuid4().hex}
    response = await api.http.post("/cases", json=body, headers=headers)
    assert response.status_code in (200, 201), response.text
    assert response.json()["id"] == case_id


async def created_by_list(api: Api, team: Team, young: Young) -> tuple[str, str]:
    """The young person's case from an uploaded list (every list column filled)."""
    header = ";".join(LABELS[f.name] for f in LIST_FIELDS)
    row = ";".join(str(young.identity[f.name]) for f in LIST_FIELDS)
    done = await imported(api, team.coordinator, f"{header}\r\n{row}\r\n".encode())
    assert done["created"] == 1, done
    async with transaction(api.sessions) as session:
        query = select(ImportRow.case_id).where(ImportRow.import_id == done["id"])
        case_id = await session.scalar(query)
    assert case_id is not None
    return case_id, str(done["id"])


async def dump(connection: AsyncConnection) -> list[tuple[str, str, str]]:
    """Every value of every table, as text: (table, column, value)."""
    return [
        (table, column, value)
        for table, values in await dump_rows(connection)
        for column, value in values.items()
    ]


def database_files(api: Api) -> bytes:
    """SQLite: the bytes of the database file and its write-ahead log, free space included
    (PostgreSQL's files belong to its server: see docs/security.md)."""
    url = api.sessions.kw["bind"].url
    if url.get_backend_name() != "sqlite" or not url.database:
        return b""
    files = [Path(url.database), Path(f"{url.database}-wal")]
    return b"".join(f.read_bytes() for f in files if f.exists())


def payloads_in(message: Message) -> Iterator[Payload]:
    """Every payload of a history event, wherever it sits (inputs, results, failures, memos)."""
    if isinstance(message, Payload):
        yield message
        return
    for descriptor, value in message.ListFields():
        if descriptor.type != descriptor.TYPE_MESSAGE:
            continue
        if descriptor.message_type.GetOptions().map_entry:
            items = [v for v in value.values() if isinstance(v, Message)]
        elif isinstance(value, Message):
            items = [value]
        else:  # a repeated field
            items = list(value)
        for item in items:
            yield from payloads_in(item)


async def histories(client: Client, since: datetime) -> AsyncIterator[tuple[str, bytes]]:
    """Each workflow run started since `since`: its id and its events, payloads decoded."""
    codec = client.data_converter.payload_codec
    assert codec is not None
    query = f'StartTime >= "{since.isoformat().replace("+00:00", "Z")}"'
    async for execution in client.list_workflows(query):
        handle = client.get_workflow_handle(execution.id, run_id=execution.run_id)
        history = await handle.fetch_history()
        raw = b"".join(event.SerializeToString() for event in history.events)
        payloads = [p for event in history.events for p in payloads_in(event)]
        decoded = await codec.decode(payloads)
        yield execution.id, raw + b"".join(p.SerializeToString() for p in decoded)


async def test_nothing_of_an_erased_young_person_is_left_anywhere(
    api: Api, dev_env: WorkflowEnvironment, territory: Territory
) -> None:
    since = datetime.now(UTC) - timedelta(seconds=1)
    team = await api.team(territory=territory.claim())
    days = await StoredDays.of(api)
    asked, expired = Young.seeded(territory, days), Young.seeded(territory, days)
    on_request, request_list = await created_by_list(api, team, asked)
    await identified_again(api, team, asked, on_request)
    from_list, import_id = await created_by_list(api, team, expired)
    for case_id, young in ((on_request, asked), (from_list, expired)):
        await around_the_case(api, team, case_id, young)
        await walk_with_texts(api, team, case_id, young)

    erased = await api.http.post(f"/cases/{on_request}/erase", headers=team.coordinator.headers)
    assert erased.status_code == 200, erased.text
    async with transaction(api.sessions) as session:
        # Five years back: past any retention period, and never one of the seeded dates
        # (birth dates 18 years back, leaving dates two years back), which are needles.
        long_ago = utcnow() - timedelta(days=365 * 5)
        await session.execute(update(Case).where(Case.id == from_list).values(closed_at=long_ago))
        await session.execute(
            update(Import).where(Import.id == import_id).values(created_at=long_ago)
        )
    result = await purge(api, dev_env)
    assert from_list in result.erased and import_id in result.import_files

    erased_ids = (on_request, from_list)
    for case_id in erased_ids:
        await history_deleted(dev_env.client, case_id)
        verified = await api.http.get(
            f"/cases/{case_id}/history/verify", headers=team.coordinator.headers
        )
        assert verified.json()["ok"] is True, verified.text
    needles = {
        needle: who
        for who, y in (("request", asked), ("retention", expired))
        for needle in y.needles()
    }
    left = []
    async with api.sessions() as session:
        connection = await session.connection()
        for table, column, value in await dump(connection):
            left += [
                (who, needle, f"{table}.{column}")
                for needle, who in needles.items()
                if needle in value
            ]
    seen: dict[str, bytes] = {}
    async for workflow_id, content in histories(dev_env.client, since):
        seen[workflow_id] = content
        left += [
            (who, needle, f"history {workflow_id}")
            for needle, who in needles.items()
            if needle.encode() in content
        ]
    left += [
        (who, needle, "database files")
        for needle, who in needles.items()
        if needle.encode() in database_files(api)
    ]
    assert left == [], left
    # The histories were really read and decoded: the purge's result names the erased case.
    assert any(from_list.encode() in content for content in seen.values())
    assert f"case-{on_request}" not in seen and f"case-{from_list}" not in seen
    async with transaction(api.sessions) as session:
        keys = await session.scalar(
            select(func.count()).select_from(CaseKey).where(CaseKey.case_id.in_(erased_ids))
        )
    assert keys == 0  # the seals' keys are destroyed
    async with transaction(api.sessions) as session:
        kept = await session.get(ImportFile, request_list)
    assert kept is not None  # the list stays, without the young person's row


# ---------------------------------------------------------------- a birthday that fired


def not_a_29_february(day: date) -> date:
    return day + timedelta(days=1) if (day.month, day.day) == (2, 29) else day


def shift(day: date, years: int) -> date:
    return day.replace(year=day.year + years)


@dataclass
class Birthday:
    """A young person whose 18th (or 26th) birthday deadline fires before the erasure."""

    years: int  # 18: the end of the obligation de formation; 26: the age limit
    day: date
    kind: str
    case: CaseRun | None = None
    known: list[str] = field(default_factory=list)  # the mails' keys, read before the erasure

    @property
    def birth(self) -> date:
        return shift(self.day, -self.years)

    @property
    def due(self) -> datetime:
        return datetime.combine(self.day, time(8), UTC)

    def needles(self) -> Iterator[str]:
        """The birth date and the birthday in every form the rows could hold them, and the
        deadline's kind (its firing time would place the birthday within a week)."""
        for day in (self.birth, self.day):
            yield from (day.isoformat(), day.strftime("%d/%m/%Y"))
        instant = self.due.isoformat()
        yield from (instant, f"@{instant}", self.due.strftime("%Y-%m-%d %H:%M:%S"), self.kind)
        yield from self.known


async def test_a_birthday_deadline_fired_before_the_erasure_leaves_no_trace(
    api: Api,
    dev_env: WorkflowEnvironment,
    time_skipping_env: WorkflowEnvironment,
    mail_sink: MailSink,
) -> None:
    """Three young people live past a birthday on the time-skipping server: two past their
    18th (obligation_ends, no mail), one past their 26th (age_limit, two mails). The first is
    erased on request, the two others by the purge. Then no row of their cases holds the
    birthday, the birth date, the deadline's due time or kind, or the mails' keys."""
    env, task_queue = time_skipping_env, f"cases-{uuid.uuid4()}"
    today = (await env.get_current_time()).date()
    days, ahead = await StoredDays.of(api), iter(range(20, 80, 2))

    def birthday(years: int) -> date:
        """The next birthday ahead whose birth date no other young person of the base has."""
        born = days.draw(lambda: shift(not_a_29_february(today + timedelta(next(ahead))), -years))
        return shift(born, years)

    people = [
        Birthday(18, birthday(18), "obligation_ends"),
        Birthday(18, birthday(18), "obligation_ends"),
        Birthday(26, birthday(26), "age_limit"),
    ]
    async with running_worker(env, api.sessions, mail_sink, task_queue):
        staff = await seed_platform(api.sessions, await env.get_current_time())
        for person in people:
            person.case = await start_case(
                env, api.sessions, mail_sink, task_queue, staff=staff, birth_date=person.birth
            )
        runs = [p.case for p in people if p.case is not None]
        for run in runs:
            await run.attempt()  # reached: the case waits in contacting
        await runs[0].jump_to(people[-1].due + timedelta(days=10))
        for person, run in zip(people, runs, strict=True):
            fired = await fired_deadline(run, person.kind)
            assert fired.key == f"timer:{person.kind}@{person.due.isoformat()}"
        await wait_for_mail(mail_sink, 2)  # the 26th birthday: référent, coordinators
        for run in runs:
            close = CloseCaseInput(staff.as_coordinator, Outcome.AUTRE, "fin du test")
            await run.step(close)
    async with transaction(api.sessions) as session:
        query = select(OutboxMessage).where(OutboxMessage.case_id == runs[2].case_id)
        sent = list((await session.execute(query)).scalars())
    assert len(sent) == 2 and all("age_limit@" in m.business_key for m in sent)
    people[2].known += [k for m in sent for k in (m.business_key, m.message_id)]
    case_ids = [run.case_id for run in runs]

    coordinator = await api.user("coordinateur", staff.platform_id)
    erased = await api.http.post(f"/cases/{case_ids[0]}/erase", headers=coordinator.headers)
    assert erased.status_code == 200, erased.text
    async with transaction(api.sessions) as session:
        long_ago = utcnow() - timedelta(days=365 * 5)
        purged = Case.id.in_(case_ids[1:])
        await session.execute(update(Case).where(purged).values(closed_at=long_ago))
    result = await purge(api, dev_env)
    assert set(case_ids[1:]) <= set(result.erased)

    for case_id in case_ids:
        verified = await api.http.get(
            f"/cases/{case_id}/history/verify", headers=coordinator.headers
        )
        assert verified.json()["ok"] is True, verified.text
        history = await api.http.get(f"/cases/{case_id}/history", headers=coordinator.headers)
        assert history.status_code == 200, history.text
    left = []
    async with api.sessions() as session:
        rows = await dump_rows(await session.connection())
    for person, case_id in zip(people, case_ids, strict=True):
        birth = {person.birth.isoformat(), person.birth.strftime("%d/%m/%Y")}
        for table, row in rows:
            # Dates of another young person's rows may well fall on this birthday: only
            # the case's own rows are searched for them (for the birth date, every row).
            own = any(case_id in value for value in row.values())
            for needle in person.needles() if own else birth:
                left += [(case_id, needle, f"{table}.{c}") for c, v in row.items() if needle in v]
    assert left == [], left


async def dump_rows(connection: AsyncConnection) -> list[tuple[str, dict[str, str]]]:
    """Every row of every table, its values as text: (table, {column: value})."""
    names = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
    found = []
    for name in names:
        result = await connection.execute(text(f'SELECT * FROM "{name}"'))
        columns = list(result.keys())
        for row in result:
            values = {}
            for column, value in zip(columns, row, strict=True):
                if isinstance(value, bytes | memoryview):
                    value = bytes(value).decode("utf-8", "replace")
                values[column] = str(value)
            found.append((name, values))
    return found
