"""The case workflow on the time-skipping server with the real activities, database and SMTP.

Each test gets its own time-skipping server, its own platform (so automatic assignment picks
its référent), its own task queue and its own SMTP sink; days and months pass instantly with
`env.sleep`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import (
    WorkflowHandle,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from filrouge.core.cases.contracts import CaseSnapshot
from filrouge.core.cases.contracts import case_workflow_id as workflow_id
from filrouge.core.cases.declaration import Step
from filrouge.core.cases.steps import (
    CloseCaseInput,
    ConfirmEntryInput,
    DecideInput,
    ProposeSolutionsInput,
    RecordContactAttemptInput,
    RecordContactOutcomeInput,
    RecordFollowUpInput,
    RecordInterviewInput,
    RecordSummonsInput,
    ReidentifyInput,
    ScheduleInterviewInput,
)
from filrouge.core.cases.timers import MAX_WAIT
from filrouge.core.domain import (
    Actor,
    AttemptResult,
    Channel,
    ContactOutcome,
    Decision,
    FollowUpStatus,
    Outcome,
    Role,
    Solution,
    SolutionType,
    Source,
    Stage,
    StartCaseInput,
    StepResult,
    TimerPolicy,
)
from filrouge.core.durations import add_months
from filrouge.mail.links import case_link
from filrouge.mail.sink import MailSink
from filrouge.services.cases.launch import send_step
from filrouge.settings import SmtpSettings
from filrouge.store.audit_repository import AuditRepository
from filrouge.store.engine import transaction
from filrouge.store.models import (
    AuditEvent,
    Case,
    CaseIdentity,
    OutboxMessage,
    Platform,
    Structure,
    User,
)
from startup.worker import build_worker
from tests.support.waiting import eventually
from workflows.case import CaseWorkflow, CaseWorkflowInput

PUBLIC_URL = "https://filrouge.test"
DAY = timedelta(days=1)
MINUTE = timedelta(minutes=1)
# How a sleep ends when its connection to the test server drops ("h2 protocol error" in a CI
# run, "transport error" when the socket is killed with `ss -K`), or when a dropped connection
# lost an activity's completion: the server's clock then stays locked, in real time, until that
# activity times out, and the sleep outlasts its 30 s call ("Timeout expired", which the
# client reports as CANCELLED). How often to sleep again.
DROPPED_CONNECTION = {
    RPCStatusCode.INTERNAL,
    RPCStatusCode.UNAVAILABLE,
    RPCStatusCode.UNKNOWN,
    RPCStatusCode.CANCELLED,
    RPCStatusCode.DEADLINE_EXCEEDED,
}
MAX_DROPPED_SLEEPS = 3
# A step's answer is awaited for this long before the step is sent again under the same
# update id (the workflow answers a repeated id with its first outcome): the SDK polls for
# an update's outcome without end, and a CI run once sat 11 minutes on a step sent to the
# test server during an SMTP outage (test_mail_outage.py). A step takes well under a second.
STEP_ANSWER_WAIT = 60.0
MAX_STEP_RESENDS = 2
log = logging.getLogger(__name__)
# Subjects of the French e-mails (templates/mail), by deadline kind.
SUBJECTS = {
    "no_contact_reminder": "Rappel : premier contact à établir",
    "no_contact_escalation": "Escalade : aucun contact",
    "stuck_escalation": "sans évolution depuis",
    "routing_escalation": "en attente d'attribution",
    "interview_reminder": "Rappel : entretien le",
    "interview_convocation": "Votre rendez-vous du",
    "interview_unrecorded_reminder": "Rappel : compte rendu d'entretien à saisir",
    "interview_unrecorded_escalation": "Escalade : entretien sans compte rendu",
    "droit_retour_deadline": "Délai légal dépassé : droit au retour en formation",
    "decision_escalation": "Décision en attente",
    "entry_unconfirmed_reminder": "Rappel : entrée en solution à confirmer",
    "follow_up_due": "Point de suivi à réaliser",
    "obligation_report": "Délai légal : signalement au conseil départemental",
    "age_limit": "Limite d'âge atteinte",
    "reidentified": "Nouveau repérage",
    "inactivity_warning": "Clôture prochaine",
}
PERSON = {
    "last_name": "Kerbrat",
    "first_name": "Maëlys",
    "phone": "0611223344",
    "ine": "070812345AB",
    "address": "12 rue des Lilas",
    "guardian_name": "Yann Kerbrat",
}


def uid() -> str:
    return uuid.uuid4().hex[:12]


# ---------------------------------------------------------------- reference data and cases


@dataclass
class Staff:
    """One platform's people, with their e-mail addresses."""

    platform_id: str
    referent_id: str | None
    referent: str | None
    coordinator_id: str
    coordinators: list[str]
    pilot: str

    @property
    def as_referent(self) -> Actor:
        assert self.referent_id is not None
        return Actor(self.referent_id, Role.REFERENT)

    @property
    def as_coordinator(self) -> Actor:
        return Actor(self.coordinator_id, Role.COORDINATEUR)


async def seed_platform(
    sessions: async_sessionmaker[AsyncSession], now: datetime, *, with_referent: bool = True
) -> Staff:
    """A platform with a Mission locale, a référent (or none), two coordinators and a pilot."""
    p = f"p-{uid()}"
    staff = Staff(
        platform_id=p,
        referent_id=f"{p}-ref" if with_referent else None,
        referent=f"referent.{p}@ml.example" if with_referent else None,
        coordinator_id=f"{p}-coord1",
        coordinators=[f"coord1.{p}@cio.example", f"coord2.{p}@ml.example"],
        pilot=f"pilote.{p}@region.example",
    )
    async with transaction(sessions) as session:
        for row in _reference_rows(staff, now):
            session.add(row)
            await session.flush()
    return staff


def _reference_rows(staff: Staff, now: datetime) -> list[object]:
    p = staff.platform_id

    def user(
        id: str, email: str, role: Role, platform: str | None = p, region: str | None = None
    ) -> User:
        return User(
            region=region,
            id=id,
            display_name=f"{role.value} {id}",
            email=email,
            role=role.value,
            platform_id=platform,
            structure_id=f"{p}-ml" if role == Role.REFERENT else None,
            active=True,
            created_at=now,
        )

    rows: list[object] = [
        Platform(id=p, name="PSAD Bassin rennais", region="Bretagne", created_at=now),
        Structure(
            id=f"{p}-ml", platform_id=p, name="Mission locale de Rennes", kind="mission_locale"
        ),
        user(staff.coordinator_id, staff.coordinators[0], Role.COORDINATEUR),
        user(f"{p}-coord2", staff.coordinators[1], Role.COORDINATEUR),
        user(f"{p}-pilot", staff.pilot, Role.PILOTE, platform=None, region="Bretagne"),
    ]
    if staff.referent_id and staff.referent:
        rows.append(user(staff.referent_id, staff.referent, Role.REFERENT))
    return rows


async def seed_case(
    sessions: async_sessionmaker[AsyncSession],
    staff: Staff,
    identified_at: datetime,
    *,
    source: Source,
    birth_date: date,
    young_email: str,
    consent: bool,
) -> str:
    """The case row and the young person's identity, as the API stores them before starting."""
    case_id = f"c{uuid.uuid4().hex[:24]}"
    async with transaction(sessions) as session:
        session.add(
            Case(
                id=case_id,
                platform_id=staff.platform_id,
                source=source.value,
                identified_at=identified_at,
                created_by=staff.coordinator_id,
                stage=Stage.A_ROUTER.value,
                updated_at=identified_at,
            )
        )
        await session.flush()
        session.add(
            CaseIdentity(
                case_id=case_id,
                birth_date=birth_date,
                email=young_email,
                convocation_consent=consent,
                leaving_date=identified_at.date() - timedelta(days=90),
                **PERSON,
            )
        )
        await session.flush()
    return case_id


# ---------------------------------------------------------------- running a case


@dataclass
class CaseRun:
    """One case on the server: its handle, its people, its mailbox and its audit log."""

    env: WorkflowEnvironment
    sessions: async_sessionmaker[AsyncSession]
    sink: MailSink
    staff: Staff
    case_id: str
    young_email: str
    identified_at: datetime
    steps: int = 0

    @property
    def handle(self) -> WorkflowHandle[CaseWorkflow, Any]:
        """The latest run of the case (follows continue-as-new)."""
        return self.env.client.get_workflow_handle_for(CaseWorkflow.run, workflow_id(self.case_id))

    async def step(self, step: Step, key: str | None = None) -> StepResult:
        """Send a human step as a Workflow Update whose id is the idempotency key."""
        self.steps += 1
        update_id = key or f"{self.case_id}-step-{self.steps}"
        for _ in range(MAX_STEP_RESENDS):
            # The SDK reports the cancelled wait as its own timeout error.
            with contextlib.suppress(TimeoutError, WorkflowUpdateRPCTimeoutOrCancelledError):
                async with asyncio.timeout(STEP_ANSWER_WAIT):
                    return await send_step(self.handle, step, update_id)
            log.warning(
                "no answer to step %s within %.0f s: sent again", update_id, STEP_ANSWER_WAIT
            )
        async with asyncio.timeout(STEP_ANSWER_WAIT):
            return await send_step(self.handle, step, update_id)

    async def attempt(self, result: AttemptResult = AttemptResult.JOINT) -> StepResult:
        step = RecordContactAttemptInput(self.staff.as_referent, Channel.TELEPHONE, result)
        return await self.step(step)

    async def accepts_interview(self) -> StepResult:
        step = RecordContactOutcomeInput(self.staff.as_referent, ContactOutcome.ACCEPTE_ENTRETIEN)
        return await self.step(step)

    async def schedule(self, at: datetime) -> StepResult:
        step = ScheduleInterviewInput(self.staff.as_referent, at, "Mission locale")
        return await self.step(step)

    async def stage_entered_at(self) -> datetime:
        entered = (await self.handle.query(CaseWorkflow.snapshot)).stage_entered_at
        assert entered is not None
        return entered

    async def now(self) -> datetime:
        return await self.env.get_current_time()

    async def jump_to(self, moment: datetime) -> None:
        """Let server time pass until `moment` (timers on the way fire).

        On a loaded machine the test server now and then drops the connection under a sleep
        (a CI run saw "h2 protocol error"). The sleep is the test's clock, not the code under
        test: it is taken again from the server's own time, which the dropped call may or may
        not have moved."""
        for retry in range(MAX_DROPPED_SLEEPS + 1):
            delta = moment - await self.now()
            if delta <= timedelta():
                return
            try:
                await self.env.sleep(delta)
                return
            except RPCError as err:
                if err.status not in DROPPED_CONNECTION or retry == MAX_DROPPED_SLEEPS:
                    raise
                log.warning("the test server dropped a sleep (%s); sleeping again", err)

    async def audit(self) -> list[AuditEvent]:
        async with transaction(self.sessions) as session:
            return await AuditRepository(session).history(self.case_id)

    async def verify_chain(self) -> bool:
        async with transaction(self.sessions) as session:
            case = await session.get(Case, self.case_id)
            assert case is not None
            return (await AuditRepository(session).verify(case)).ok

    async def outbox(self) -> list[OutboxMessage]:
        async with transaction(self.sessions) as session:
            query = select(OutboxMessage).where(OutboxMessage.case_id == self.case_id)
            return list((await session.execute(query.order_by(OutboxMessage.id))).scalars())

    async def timers(self) -> list[AuditEvent]:
        return [e for e in await self.audit() if e.kind == "timer_fired"]


async def start_case(
    env: WorkflowEnvironment,
    sessions: async_sessionmaker[AsyncSession],
    sink: MailSink,
    task_queue: str,
    *,
    staff: Staff | None = None,
    source: Source = Source.SIEI,
    age: int = 19,
    birth_date: date | None = None,
    consent: bool = False,
    policy: TimerPolicy | None = None,
    continue_as_new_after_events: int | None = None,
    ready: bool = True,
) -> CaseRun:
    """Store a case, start its workflow and wait until it is identified and assigned (unless
    `ready` is false: then nothing waits for a worker)."""
    now = await env.get_current_time()
    staff = staff or await seed_platform(sessions, now)
    birth_date = birth_date or date(now.year - age, now.month, 1) - timedelta(days=40)
    young_email = f"jeune.{uid()}@exemple.fr"
    case_id = await seed_case(
        sessions,
        staff,
        now,
        source=source,
        birth_date=birth_date,
        young_email=young_email,
        consent=consent,
    )
    start = StartCaseInput(
        case_id=case_id,
        platform_id=staff.platform_id,
        source=source,
        identified_at=now,
        birth_date=birth_date,
        leaving_date=now.date() - timedelta(days=90),
        actor=staff.as_coordinator,
        policy=policy or TimerPolicy(),
        convocation_allowed=consent,
    )
    run = CaseRun(env, sessions, sink, staff, case_id, young_email, now)
    input = CaseWorkflowInput(start=start, search_attributes=False)
    if continue_as_new_after_events is not None:
        input.continue_as_new_after_events = continue_as_new_after_events
    await env.client.start_workflow(
        CaseWorkflow.run,
        input,
        id=workflow_id(case_id),
        task_queue=task_queue,
    )
    if ready:
        await run.handle.execute_update(CaseWorkflow.ready, id=f"ready-{case_id}")
    return run


# ---------------------------------------------------------------- mail


@dataclass
class Mail:
    to: list[str]
    subject: str
    text: str
    headers: dict[str, str] = field(default_factory=dict)


def mails(sink: MailSink) -> list[Mail]:
    """Messages received by the sink, decoded (text part)."""
    found = []
    for received in sink.messages:
        message = received.message
        body = message.get_body(preferencelist=("plain",))
        assert body is not None
        found.append(
            Mail(
                to=sorted(received.envelope_to),
                # Folded long subjects come back with doubled spaces (stdlib folding).
                subject=" ".join(str(message["Subject"]).split()),
                text=" ".join(body.get_content().split()),  # type: ignore[attr-defined]
                headers={k: str(v) for k, v in message.items()},
            )
        )
    return found


async def wait_for_mail(sink: MailSink, count: int, within: float = 20.0) -> list[Mail]:
    """Wait (in real time) until the sink holds `count` messages."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while len(sink.messages) < count:
        if loop.time() > deadline:
            got = [m.subject for m in mails(sink)]
            raise AssertionError(f"{count} messages expected, got {got}")
        await asyncio.sleep(0.05)
    return mails(sink)


async def no_new_mail(sink: MailSink, count: int, settle: float = 0.5) -> None:
    """Give the worker a moment, then check that nothing more arrived."""
    await asyncio.sleep(settle)
    assert [m.subject for m in mails(sink)[count:]] == []


async def fired(case: CaseRun, kind: str) -> bool:
    """The case's deadline of this kind has fired (its `timer_fired` event is recorded)."""
    return any(e.data.get("deadline") == kind for e in await case.timers())


def kind_of(mail: Mail) -> str:
    """The deadline kind a mail is about, from its French subject."""
    kinds = [kind for kind, subject in SUBJECTS.items() if subject in mail.subject]
    assert len(kinds) == 1, mail.subject
    return kinds[0]


def only(found: list[Mail], kind: str) -> Mail:
    matching = [m for m in found if SUBJECTS[kind] in m.subject]
    assert len(matching) == 1, f"one '{kind}' mail expected in {[m.subject for m in found]}"
    return matching[0]


def assert_timer(timers: list[AuditEvent], kind: str, due: datetime) -> None:
    """The deadline fired once, at its policy time (workflow time)."""
    fired = [t for t in timers if t.data["deadline"] == kind]
    assert len(fired) == 1, f"{kind} fired {len(fired)} times"
    assert datetime.fromisoformat(fired[0].data["due_at"]) == due
    assert abs(fired[0].occurred_at - due) < timedelta(seconds=2)


# ---------------------------------------------------------------- fixtures


@pytest.fixture
def task_queue() -> str:
    return f"cases-{uuid.uuid4()}"


def worker_for(
    env: WorkflowEnvironment,
    sessions: async_sessionmaker[AsyncSession],
    sink: MailSink,
    task_queue: str,
    **options: object,
) -> Worker:
    smtp = SmtpSettings(host="127.0.0.1", port=sink.port)
    return build_worker(env.client, task_queue, sessions, smtp, PUBLIC_URL, **options)


@asynccontextmanager
async def running_worker(
    env: WorkflowEnvironment,
    sessions: async_sessionmaker[AsyncSession],
    sink: MailSink,
    task_queue: str,
    **options: object,
) -> AsyncIterator[Worker]:
    async with worker_for(env, sessions, sink, task_queue, **options) as worker:
        yield worker


@pytest.fixture
async def worker(
    time_skipping_env: WorkflowEnvironment,
    sessions: async_sessionmaker[AsyncSession],
    mail_sink: MailSink,
    task_queue: str,
) -> AsyncIterator[Worker]:
    async with running_worker(time_skipping_env, sessions, mail_sink, task_queue) as running:
        yield running


@pytest.fixture
def new_case(
    time_skipping_env: WorkflowEnvironment,
    sessions: async_sessionmaker[AsyncSession],
    mail_sink: MailSink,
    task_queue: str,
    worker: Worker,
) -> Callable[..., Awaitable[CaseRun]]:
    async def start(**options: Any) -> CaseRun:
        return await start_case(time_skipping_env, sessions, mail_sink, task_queue, **options)

    return start


NewCase = Callable[..., Awaitable[CaseRun]]


# ---------------------------------------------------------------- scenarios (also recorded)


async def run_full_pathway(case: CaseRun) -> list[Mail]:
    """Identification to closure: contact, interview, proposal, decision, entry, 3 follow-ups."""
    ref, coord = case.staff.as_referent, case.staff.as_coordinator
    await case.attempt(AttemptResult.JOINT)
    await case.accepts_interview()
    interview_at = await case.now() + 2 * DAY
    await case.schedule(interview_at)
    await case.jump_to(interview_at + timedelta(hours=1))
    await wait_for_mail(case.sink, 1)
    await case.step(RecordInterviewInput(ref, held=True))
    start_date = (await case.now()).date()
    solution = Solution(SolutionType.APPRENTISSAGE, "CFA du bâtiment de Rennes", start_date)
    await case.step(ProposeSolutionsInput(ref, [solution]))
    await case.step(DecideInput(coord, Decision.VALIDER, "Bon projet"))
    result = await case.step(ConfirmEntryInput(ref, entered=True))
    assert result.stage == Stage.SUIVI
    for check in range(3):
        snapshot = await case.handle.query(CaseWorkflow.snapshot)
        assert snapshot.next_deadline_kind == "follow_up_due"
        assert snapshot.next_deadline_at is not None
        await case.jump_to(snapshot.next_deadline_at + timedelta(hours=1))
        await wait_for_mail(case.sink, 2 + check)
        step = RecordFollowUpInput(ref, FollowUpStatus.MAINTENU)
        result = await case.step(step)
    assert (result.stage, result.next_deadline_kind) == (Stage.CLOTURE, "retention_due")
    return mails(case.sink)


async def run_to_retention(case: CaseRun) -> CaseSnapshot:
    """Let the retention period after closure pass; the workflow then ends."""
    closed = await case.handle.query(CaseWorkflow.snapshot)
    assert closed.next_deadline_kind == "retention_due" and closed.closed_at is not None
    assert closed.next_deadline_at == add_months(closed.closed_at, 24)
    await case.jump_to(closed.next_deadline_at + MINUTE)
    return await case.handle.result()


async def run_unreachable_then_reopened(case: CaseRun) -> StepResult:
    """Three failed attempts two days apart; a later SIEI list reopens the case."""
    for _ in range(3):
        result = await case.attempt(AttemptResult.PAS_DE_REPONSE)
        await case.jump_to(await case.now() + 2 * DAY + MINUTE)
    assert result.stage == Stage.INJOIGNABLE
    await case.jump_to(await case.now() + 60 * DAY)
    again = ReidentifyInput(case.staff.as_coordinator, Source.SIEI, await case.now())
    return await case.step(again)


async def run_droit_au_retour_missed(case: CaseRun) -> list[Mail]:
    """A droit au retour request reached at once, but no interview within 15 days."""
    await case.attempt(AttemptResult.JOINT)
    await case.accepts_interview()
    due = case.identified_at + 15 * DAY
    await case.jump_to(due - MINUTE)
    await no_new_mail(case.sink, 0)
    await case.jump_to(due + MINUTE)
    return await wait_for_mail(case.sink, 1)


# ---------------------------------------------------------------- (a) the whole pathway


async def test_whole_pathway_from_identification_to_closure(new_case: NewCase) -> None:
    case = await new_case()
    received = await run_full_pathway(case)

    assert [kind_of(m) for m in received] == [
        "interview_reminder",
        "follow_up_due",
        "follow_up_due",
        "follow_up_due",
    ]
    assert all(m.to == [case.staff.referent] for m in received)
    final = await run_to_retention(case)
    assert (final.stage, final.outcome) == (Stage.CLOTURE, Outcome.MAINTENU)

    history = await case.audit()
    steps = [(e.kind, e.data.get("to") or e.data.get("deadline")) for e in history]
    follow_up = [
        ("timer_fired", "follow_up_due"),
        ("email_sent", None),
        ("follow_up", None),
    ]
    assert steps == [
        ("case_identified", None),
        ("referent_assigned", None),
        ("stage_changed", "contact"),
        ("contact_attempt", None),
        ("contact_outcome", None),
        ("stage_changed", "bilan"),
        ("interview_scheduled", None),
        ("timer_fired", "interview_reminder"),
        ("email_sent", None),
        ("interview_recorded", None),
        ("stage_changed", "proposition"),
        ("solutions_proposed", None),
        ("stage_changed", "decision"),
        ("decision", None),
        ("stage_changed", "entree"),
        ("entry_confirmed", None),
        ("stage_changed", "suivi"),
        *follow_up,
        *follow_up,
        *follow_up,
        ("stage_changed", "cloture"),
        ("timer_fired", "retention_due"),
    ]
    assert [e.seq for e in history] == list(range(1, len(history) + 1))
    assert history[0].actor_id == case.staff.coordinator_id
    assert history[3].actor_id == case.staff.referent_id
    assert history[-2].data["reason"] == "last_follow_up_maintained"
    assert await case.verify_chain()

    async with transaction(case.sessions) as session:
        row = await session.get(Case, case.case_id)
        assert row is not None
        assert (row.stage, row.outcome, row.referent_id) == (
            "cloture",
            "maintenu_en_solution",
            case.staff.referent_id,
        )


# ---------------------------------------------------------------- (b) reminders and escalations


async def test_no_contact_reminder_escalation_and_stuck_case_on_the_default_policy(
    new_case: NewCase,
) -> None:
    case = await new_case()
    t0 = await case.stage_entered_at()  # assigned at once: contact starts

    await case.jump_to(t0 + 5 * DAY - MINUTE)
    await no_new_mail(case.sink, 0)
    await case.jump_to(t0 + 5 * DAY + MINUTE)
    reminder = only(await wait_for_mail(case.sink, 1), "no_contact_reminder")
    assert reminder.to == [case.staff.referent]
    assert "aucune tentative de contact n'a encore été enregistrée" in reminder.text
    assert case_link(PUBLIC_URL, case.case_id) in reminder.text  # the case page, not JSON

    await case.jump_to(t0 + 10 * DAY + MINUTE)
    escalation = only(await wait_for_mail(case.sink, 2), "no_contact_escalation")
    assert escalation.to == sorted(case.staff.coordinators)
    assert "faites le point avec" in escalation.text

    await case.jump_to(t0 + 30 * DAY + MINUTE)
    await no_new_mail(case.sink, 2)  # stuck: told to the pilots in their daily digest

    timers = await case.timers()
    assert_timer(timers, "no_contact_reminder", t0 + 5 * DAY)
    assert_timer(timers, "no_contact_escalation", t0 + 10 * DAY)
    assert_timer(timers, "stuck_escalation", t0 + 30 * DAY)
    assert all(m.headers["Content-Language"] == "fr" for m in mails(case.sink))
    assert await case.verify_chain()


async def test_unassigned_case_escalates_to_the_coordinators_for_routing(
    time_skipping_env: WorkflowEnvironment,
    sessions: async_sessionmaker[AsyncSession],
    mail_sink: MailSink,
    task_queue: str,
    worker: Worker,
) -> None:
    staff = await seed_platform(
        sessions, await time_skipping_env.get_current_time(), with_referent=False
    )
    case = await start_case(time_skipping_env, sessions, mail_sink, task_queue, staff=staff)
    assert (await case.handle.query(CaseWorkflow.snapshot)).stage == Stage.A_ROUTER
    await case.jump_to(case.identified_at + 2 * DAY + MINUTE)
    routing = only(await wait_for_mail(mail_sink, 1), "routing_escalation")
    assert routing.to == sorted(staff.coordinators)
    assert "choisissez la structure et le référent" in routing.text
    assert_timer(await case.timers(), "routing_escalation", case.identified_at + 2 * DAY)


INTERVIEW_POLICY = TimerPolicy(
    interview_reminder_before="PT1M",
    interview_unrecorded_reminder="PT1M",
    interview_unrecorded_escalation="PT2M",
)


async def test_interview_reminder_convocation_then_unrecorded_reminder_and_escalation(
    new_case: NewCase,
) -> None:
    case = await new_case(consent=True, policy=INTERVIEW_POLICY)
    await case.attempt()
    await case.accepts_interview()
    interview_at = (await case.now() + 5 * MINUTE).replace(microsecond=0)
    await case.schedule(interview_at)

    await case.jump_to(interview_at - MINUTE - timedelta(seconds=5))
    await no_new_mail(case.sink, 0)
    await case.jump_to(interview_at - MINUTE + timedelta(seconds=5))
    received = await wait_for_mail(case.sink, 2)
    reminder = only(received, "interview_reminder")
    assert reminder.to == [case.staff.referent]
    assert "bilan-positionnement" in reminder.text
    convocation = only(received, "interview_convocation")
    assert convocation.to == [case.young_email]
    assert convocation.text.startswith(f"Bonjour {PERSON['first_name']}, ")
    assert "Vous avez rendez-vous le" in convocation.text
    assert "Lieu du rendez-vous : Mission locale" in " ".join(convocation.text.split())
    assert "Mission locale" not in reminder.text and "lieu n’est pas renseigné" not in reminder.text
    assert convocation.headers["Reply-To"] == case.staff.referent
    assert case.case_id not in convocation.text  # no internal reference for the young person

    await case.jump_to(interview_at + MINUTE + timedelta(seconds=5))
    unrecorded = only(await wait_for_mail(case.sink, 3), "interview_unrecorded_reminder")
    assert unrecorded.to == [case.staff.referent]
    await case.jump_to(interview_at + 2 * MINUTE + timedelta(seconds=5))
    escalation = only(await wait_for_mail(case.sink, 4), "interview_unrecorded_escalation")
    assert escalation.to == sorted(case.staff.coordinators)

    timers = await case.timers()
    assert_timer(timers, "interview_reminder", interview_at - MINUTE)
    assert_timer(timers, "interview_unrecorded_reminder", interview_at + MINUTE)
    assert_timer(timers, "interview_unrecorded_escalation", interview_at + 2 * MINUTE)
    outbox = await case.outbox()
    assert {(m.kind, m.recipient_role, m.status) for m in outbox} == {
        ("interview_reminder", "referent", "sent"),
        ("interview_reminder", "jeune", "sent"),
        ("interview_unrecorded_reminder", "referent", "sent"),
        ("interview_unrecorded_escalation", "coordinateur", "sent"),
    }
    jeune = next(m for m in outbox if m.recipient_role == "jeune")
    assert jeune.to_address == ""  # the young person's address stays in the identity row


async def test_no_convocation_without_consent(new_case: NewCase) -> None:
    case = await new_case(consent=False, policy=INTERVIEW_POLICY)
    await case.attempt()
    await case.accepts_interview()
    interview_at = await case.now() + 5 * MINUTE
    await case.schedule(interview_at)
    await case.jump_to(interview_at - 30 * timedelta(seconds=1))
    received = await wait_for_mail(case.sink, 1)
    await no_new_mail(case.sink, 1)
    assert [m.to for m in received] == [[case.staff.referent]]
    assert SUBJECTS["interview_reminder"] in received[0].subject


async def test_droit_au_retour_without_interview_in_15_days_is_escalated(
    new_case: NewCase,
) -> None:
    case = await new_case(source=Source.DROIT_AU_RETOUR)
    received = await run_droit_au_retour_missed(case)
    legal = only(received, "droit_retour_deadline")
    assert legal.to == sorted(case.staff.coordinators)
    assert "dans les 15 jours qui suivent la demande" in legal.text
    assert "2014-1453" in legal.text
    assert_timer(await case.timers(), "droit_retour_deadline", case.identified_at + 15 * DAY)


async def test_minor_summoned_is_reported_to_the_departement_after_two_months(
    new_case: NewCase,
) -> None:
    case = await new_case(age=16)
    await case.attempt()
    summons_on = (await case.now()).date()
    step = RecordSummonsInput(case.staff.as_referent, summons_on)
    await case.step(step)
    due = add_months(datetime(summons_on.year, summons_on.month, summons_on.day, 8, tzinfo=UTC), 2)
    await case.jump_to(due - MINUTE)
    before = [m.subject for m in mails(case.sink)]
    assert not any(SUBJECTS["obligation_report"] in s for s in before)
    await case.jump_to(due + MINUTE)
    received = await wait_for_mail(case.sink, len(before) + 1)
    report = only(received, "obligation_report")
    assert report.to == sorted(case.staff.coordinators)
    assert "président du conseil départemental" in report.text
    assert "2019-791" in report.text
    assert_timer(await case.timers(), "obligation_report", due)


async def test_decision_escalation_and_unconfirmed_entry_reminder(new_case: NewCase) -> None:
    case = await new_case()
    ref, coord = case.staff.as_referent, case.staff.as_coordinator
    await case.attempt()
    await case.accepts_interview()
    await case.schedule(await case.now() + timedelta(hours=1))
    await case.step(RecordInterviewInput(ref, held=True))
    start = (await case.now()).date() + timedelta(days=10)
    solution = Solution(SolutionType.SERVICE_CIVIQUE, "Unis-Cité Rennes", start)
    proposed = await case.step(ProposeSolutionsInput(ref, [solution]))
    assert proposed.next_deadline_kind == "decision_escalation"
    assert proposed.next_deadline_at is not None
    await case.jump_to(proposed.next_deadline_at + MINUTE)
    escalation = only(await wait_for_mail(case.sink, 2), "decision_escalation")
    assert escalation.to == sorted(case.staff.coordinators)
    assert "réunion de plateforme" in escalation.text

    await case.step(DecideInput(coord, Decision.VALIDER))
    entry_due = datetime(start.year, start.month, start.day, 8, tzinfo=UTC) + 7 * DAY
    await case.jump_to(entry_due - MINUTE)
    await no_new_mail(case.sink, 2)
    await case.jump_to(entry_due + MINUTE)
    reminder = only(await wait_for_mail(case.sink, 3), "entry_unconfirmed_reminder")
    assert reminder.to == [case.staff.referent]
    assert_timer(await case.timers(), "entry_unconfirmed_reminder", entry_due)


async def test_unreachable_case_waits_then_reopens_on_a_new_identification(
    new_case: NewCase,
) -> None:
    case = await new_case()
    reopened = await run_unreachable_then_reopened(case)
    assert reopened.stage == Stage.CONTACT
    assert reopened.next_deadline_kind == "no_contact_reminder"
    assert reopened.next_deadline_at == await case.stage_entered_at() + 5 * DAY
    # Attempts were made: no reminder; unreachable: no escalation. The new identification
    # is told to the référent, once.
    notice = only(await wait_for_mail(case.sink, 1), "reidentified")
    assert notice.to == [case.staff.referent]
    await no_new_mail(case.sink, 1)

    changes = [
        (e.data["to"], e.data["reason"]) for e in await case.audit() if e.kind == "stage_changed"
    ]
    assert changes == [
        ("contact", "automatic_assignment"),
        ("injoignable", "max_failed_attempts"),
        ("contact", "reidentified"),
    ]
    attempts = [e for e in await case.audit() if e.kind == "contact_attempt"]
    assert [e.data["result"] for e in attempts] == ["pas_de_reponse"] * 3


async def reidentified_with_no_worker(
    env: WorkflowEnvironment,
    sessions: async_sessionmaker[AsyncSession],
    sink: MailSink,
    task_queue: str,
    seconds: float,
) -> tuple[CaseRun, asyncio.Task[StepResult]]:
    """A case started with no worker on its queue, and a re-identification sent to it at
    once (a list, then POST /cases a moment later): the step's task, `seconds` later, still
    waiting for a worker."""
    case = await start_case(env, sessions, sink, task_queue, ready=False)
    again = ReidentifyInput(case.staff.as_coordinator, Source.SIEI, case.identified_at)
    step = asyncio.create_task(case.step(again))
    await asyncio.sleep(seconds)
    return case, step


async def test_a_step_in_the_case_s_first_task_waits_for_the_case_instead_of_failing(
    time_skipping_env: WorkflowEnvironment,
    sessions: async_sessionmaker[AsyncSession],
    mail_sink: MailSink,
    task_queue: str,
) -> None:
    """A list starts a case and POST /cases re-identifies the same young person a moment
    later: the start and the step reach the worker in one first task. The step used to be
    refused (« en cours de création »), which the API answered as an engine outage (503)."""
    # No worker for a second: the server holds the step with the start.
    case, step = await reidentified_with_no_worker(
        time_skipping_env, sessions, mail_sink, task_queue, seconds=1
    )
    async with running_worker(time_skipping_env, sessions, mail_sink, task_queue):
        result = await step
        assert result.stage == Stage.CONTACT
        # The référent is told of the new identification. The audit is read once that mail is
        # recorded: read at once, it held the mail's row or not, by the machine's timing.

        async def with_the_mail() -> list[str]:
            kinds = [e.kind for e in await case.audit()]
            return kinds if "email_sent" in kinds else []

        kinds = await eventually(with_the_mail)
    assert [m.to for m in mails(mail_sink)] == [[case.staff.referent]]
    assert kinds == [
        "case_identified",
        "referent_assigned",
        "stage_changed",
        "reidentified",
        "email_sent",
    ]


async def test_a_step_sent_again_under_its_id_is_applied_once(
    time_skipping_env: WorkflowEnvironment,
    sessions: async_sessionmaker[AsyncSession],
    mail_sink: MailSink,
    task_queue: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The tests' `CaseRun.step` sends a step again when no answer comes (a CI run once sat
    11 minutes on one): the repeated update id gets the step's one outcome."""
    monkeypatch.setattr(f"{__name__}.STEP_ANSWER_WAIT", 1.0)
    # Enough resends for a loaded machine: only the first one is bound to wait in vain.
    monkeypatch.setattr(f"{__name__}.MAX_STEP_RESENDS", 60)
    # No worker for 1.5 s: the first sending waits in vain.
    case, step = await reidentified_with_no_worker(
        time_skipping_env, sessions, mail_sink, task_queue, seconds=1.5
    )
    async with running_worker(time_skipping_env, sessions, mail_sink, task_queue):
        assert (await step).stage == Stage.CONTACT
        kinds = [e.kind for e in await case.audit()]
    assert "sent again" in caplog.text
    assert kinds.count("reidentified") == 1


async def test_twenty_sixth_birthday_tells_the_referent_and_the_coordinators(
    time_skipping_env: WorkflowEnvironment, new_case: NewCase
) -> None:
    today = (await time_skipping_env.get_current_time()).date()
    birthday = today + timedelta(days=20)
    if (birthday.month, birthday.day) == (2, 29):  # a day that 26 years earlier may lack
        birthday += timedelta(days=1)
    case = await new_case(birth_date=birthday.replace(year=birthday.year - 26))
    await case.attempt()
    due = datetime(birthday.year, birthday.month, birthday.day, 8, tzinfo=UTC)
    # No timer ends on a birthday (its duration would give the date away): the workflow
    # notices it at its next capped wake, within a week.
    await case.jump_to(due + MAX_WAIT + MINUTE)
    received = await wait_for_mail(case.sink, 2)
    assert {tuple(m.to) for m in received} == {
        (case.staff.referent,),
        tuple(sorted(case.staff.coordinators)),
    }
    assert all("a atteint 26 ans" in m.text for m in received)
    fired = [t for t in await case.timers() if t.data["deadline"] == "age_limit"]
    assert len(fired) == 1
    assert datetime.fromisoformat(fired[0].data["due_at"]) == due
    assert due < fired[0].occurred_at <= due + MAX_WAIT
    assert fired[0].occurred_at.date() != birthday


# ---------------------------------------------------------------- (c) rejected steps


async def test_rejected_steps_fail_with_a_french_reason_and_change_nothing(
    new_case: NewCase,
) -> None:
    case = await new_case()
    before = await case.audit()
    version = (await case.handle.query(CaseWorkflow.snapshot)).version
    coord = case.staff.as_coordinator

    with pytest.raises(WorkflowUpdateFailedError) as rejected:
        await case.step(DecideInput(coord, Decision.VALIDER))
    cause = rejected.value.cause
    assert isinstance(cause, ApplicationError)
    assert cause.type == "StepRejected"
    assert cause.message == (
        "Action « décision du coordinateur » impossible : le dossier est à l'étape "
        "« prise de contact » (étapes possibles : décision)."
    )
    with pytest.raises(WorkflowUpdateFailedError) as missing:
        await case.step(CloseCaseInput(coord, Outcome.AUTRE))
    assert isinstance(missing.value.cause, ApplicationError)
    assert "Précisez le motif de clôture" in missing.value.cause.message

    await case.step(CloseCaseInput(coord, Outcome.REFUS))
    closed = await case.audit()
    with pytest.raises(WorkflowUpdateFailedError) as closed_case:
        await case.step(CloseCaseInput(coord, Outcome.REFUS))
    assert isinstance(closed_case.value.cause, ApplicationError)
    assert closed_case.value.cause.message == "Le dossier est déjà clôturé."

    after = await case.audit()
    assert len(closed) == len(before) + 2  # case_closed, stage_changed
    assert [e.hash for e in after] == [e.hash for e in closed]
    assert (await case.handle.query(CaseWorkflow.snapshot)).version == version + 1

    with pytest.raises(WorkflowUpdateFailedError) as unknown:  # no declaration of that name
        await case.handle.execute_update("no_such_step", {"actor": {}}, id="unknown-step")
    assert isinstance(unknown.value.cause, ApplicationError)
    assert unknown.value.cause.message == "Action inconnue."


# ---------------------------------------------------------------- (d) idempotent replays


async def test_same_update_id_twice_returns_the_same_result_and_one_audit_row(
    new_case: NewCase,
) -> None:
    case = await new_case()
    first = await case.attempt(AttemptResult.PAS_DE_REPONSE)
    key = f"{case.case_id}-step-{case.steps}"
    step = RecordContactAttemptInput(
        case.staff.as_referent, Channel.SMS, AttemptResult.PAS_DE_REPONSE
    )
    again = await case.step(step, key=key)
    assert again == first
    snapshot = await case.handle.query(CaseWorkflow.snapshot)
    assert (snapshot.failed_attempts, snapshot.version) == (1, first.version)
    rows = [e for e in await case.audit() if e.key.startswith(f"step:{key}:")]
    assert [e.kind for e in rows] == ["contact_attempt"]


async def test_replays_are_idempotent_across_continue_as_new(new_case: NewCase) -> None:
    case = await new_case(continue_as_new_after_events=1)
    first_run = (await case.handle.describe()).run_id
    attempt = await case.attempt(AttemptResult.JOINT)
    attempt_key = f"{case.case_id}-step-{case.steps}"
    accepted = await case.accepts_interview()
    accept_key = f"{case.case_id}-step-{case.steps}"
    assert accepted.stage == Stage.BILAN
    second_run = await _next_run(case, first_run)
    audit = await case.audit()

    ref = case.staff.as_referent
    outcome = RecordContactOutcomeInput(ref, ContactOutcome.ACCEPTE_ENTRETIEN)
    assert await case.step(outcome, key=accept_key) == accepted
    retry = RecordContactAttemptInput(ref, Channel.TELEPHONE, AttemptResult.JOINT)
    assert await case.step(retry, key=attempt_key) == attempt
    assert [e.hash for e in await case.audit()] == [e.hash for e in audit]
    assert (await case.handle.describe()).run_id == second_run

    # The continued run goes on with the pathway and its timers.
    await case.schedule(await case.now() + 3 * DAY)
    held = await case.step(RecordInterviewInput(ref, held=True))
    assert held.stage == Stage.PROPOSITION
    assert await _next_run(case, second_run) != first_run
    assert await case.verify_chain()


async def _next_run(case: CaseRun, previous: str, within: float = 60.0) -> str:
    """Wait until the case continued as new; return the new run id."""

    async def new_run() -> str | None:
        run_id = (await case.handle.describe()).run_id
        return run_id if run_id != previous else None

    run_id = await eventually(new_run, within=within)
    assert run_id is not None
    return run_id


# ---------------------------------------------------------------- (e) worker restart


async def test_a_new_worker_continues_the_case_and_its_timers_without_resending(
    time_skipping_env: WorkflowEnvironment,
    sessions: async_sessionmaker[AsyncSession],
    mail_sink: MailSink,
    task_queue: str,
) -> None:
    env = time_skipping_env
    # Workers without a workflow cache leave no sticky queue behind: the test server would
    # otherwise hold its clock until the sticky task timed out. Each new worker then rebuilds
    # the case from its history, which also proves the replay sends nothing twice.
    no_cache: dict[str, object] = {"max_cached_workflows": 0}
    # An hour: the server's clock runs in real time until the first jump, and the first worker
    # must be gone before the reminder falls due (2 s of real time could run out on a loaded
    # machine).
    policy = TimerPolicy(reminder_no_contact="PT1H")
    async with running_worker(env, sessions, mail_sink, task_queue, **no_cache):
        case = await start_case(env, sessions, mail_sink, task_queue, policy=policy)
        t0 = await case.stage_entered_at()
    # No worker at all while the reminder falls due (an hour of server time, skipped). Its
    # firing holds the server's clock until a worker takes it: the half second after it passes
    # in real time.
    await case.jump_to(t0 + timedelta(hours=1, seconds=0.5))
    assert mail_sink.messages == []

    async with running_worker(env, sessions, mail_sink, task_queue, **no_cache):
        await wait_for_mail(mail_sink, 1)
        await case.jump_to(t0 + 10 * DAY + MINUTE)
        await wait_for_mail(mail_sink, 2)
    async with running_worker(env, sessions, mail_sink, task_queue, **no_cache):
        await case.attempt(AttemptResult.PAS_DE_REPONSE)
        await case.jump_to(t0 + 30 * DAY + MINUTE)
        await eventually(lambda: fired(case, "stuck_escalation"))
        await no_new_mail(mail_sink, 2)

    assert [kind_of(m) for m in mails(mail_sink)] == [
        "no_contact_reminder",
        "no_contact_escalation",
    ]
    outbox = await case.outbox()
    assert len(outbox) == len(mail_sink.messages) == 2
    assert len({m.business_key for m in outbox}) == 2
    assert all(m.status == "sent" and m.attempts == 1 for m in outbox)
    sent = [e for e in await case.audit() if e.kind == "email_sent"]
    assert len(sent) == 2
    deadlines = [e.data["deadline"] for e in await case.timers()]
    assert deadlines.count("stuck_escalation") == 1  # the new worker fired it once
    assert await case.verify_chain()


# ---------------------------------------------------------------- (f) no personal data


async def test_nothing_personal_in_workflow_ids_or_history(new_case: NewCase) -> None:
    case = await new_case(consent=True, policy=INTERVIEW_POLICY)
    await case.attempt()
    await case.accepts_interview()
    interview_at = await case.now() + 3 * MINUTE
    await case.schedule(interview_at)
    await case.jump_to(interview_at - 30 * timedelta(seconds=1))
    await wait_for_mail(case.sink, 2)  # the convocation went to the young person

    assert re.fullmatch(r"case-c[0-9a-f]{24}", case.handle.id)
    history = json.dumps((await case.handle.fetch_history()).to_json_dict(), ensure_ascii=False)
    for value in [*PERSON.values(), case.young_email, case.staff.referent]:
        assert value is not None
        assert value not in history, f"{value!r} found in the workflow history"
    for row in await case.audit():
        assert case.young_email not in json.dumps(row.data, ensure_ascii=False)
