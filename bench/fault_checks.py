"""What the fault trials measure, from the outside: the read model, the Temporal server, the sink.

Never from the code's own counters: an acknowledged creation must have its case row and a
running (or completed) workflow; a timer firing recorded with recipients must have its mail
in the sink; no Message-ID may arrive twice; no workflow may end Failed, Terminated, TimedOut.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import WorkflowExecutionStatus

from bench.fault_load import Ledger
from bench.fault_stack import FaultStack
from filrouge.core.cases.pathway import BIRTHDAY_DEADLINES
from filrouge.core.cases.timers import MAX_WAIT
from filrouge.mail.mailer import message_id_for
from filrouge.mail.sink import ReceivedMail
from filrouge.settings import SmtpSettings
from filrouge.store.engine import transaction
from filrouge.store.models import AuditEvent, Case, CaseIdentity, Import, ImportRow, OutboxMessage

PLACED = ("created", "to_route", "reidentified")
FAILED_QUERY = " OR ".join(
    f"ExecutionStatus = '{s}'" for s in ("Failed", "Terminated", "TimedOut", "Canceled")
)
ALIVE = (WorkflowExecutionStatus.RUNNING, WorkflowExecutionStatus.COMPLETED)
# A deadline this late in the read model means its workflow has not fired it (yet), birthday
# deadlines excepted (see `_database`).
OVERDUE_AFTER = timedelta(seconds=15)
SAMPLE = 5
# A worker killed this long before the server stored a message may have sent it whole.
IN_FLIGHT = timedelta(seconds=1)


@dataclass
class Figures:
    """One look at the system; `settled` when nothing is still on its way."""

    counters: dict[str, int]
    details: dict[str, Any] = field(default_factory=dict)
    waiting: dict[str, int] = field(default_factory=dict)

    @property
    def settled(self) -> bool:
        return not any(self.waiting.values())


async def look(stack: FaultStack, ledger: Ledger) -> Figures:
    """Read the database first, then the server and the sink (so a mail marked sent is there)."""
    async with transaction(stack.sessions) as session:
        db = await _database(session, ledger)
    runs = await _case_workflow_runs(stack)
    failed = (await stack.client.count_workflows(FAILED_QUERY)).count
    message_ids = Counter(str(m.message.get("Message-ID", "")) for m in stack.sink.messages)
    return _figures(db, runs, failed, message_ids, ledger)


async def settle(
    stack: FaultStack, ledger: Ledger, patience_s: float, every_s: float = 5.0
) -> tuple[Figures, float]:
    """Look again until nothing is on its way (twice in a row) or patience runs out."""
    began = time.perf_counter()
    quiet = 0
    while True:
        figures = await look(stack, ledger)
        quiet = quiet + 1 if figures.settled else 0
        spent = time.perf_counter() - began
        if quiet >= 2 or spent > patience_s:
            return figures, spent
        waiting = ", ".join(f"{k}={v}" for k, v in figures.waiting.items() if v)
        print(f"  settling ({spent:.0f} s): {waiting or 'quiet, checking once more'}", flush=True)
        await asyncio.sleep(every_s)


@dataclass
class _Db:
    cases: dict[str, int]  # case id -> failed attempts (the read model)
    ines: list[tuple[str, str, int]]
    import_rows: list[tuple[str, str | None]]
    imports: list[tuple[str, str, str | None]]
    outbox: list[tuple[str, str, str]]
    timer_firings: list[tuple[str, str, dict[str, Any]]]
    mail_outcomes: set[str]
    overdue: int


async def _database(session: AsyncSession, ledger: Ledger) -> _Db:
    cases = dict((await session.execute(select(Case.id, Case.failed_attempts))).tuples().all())
    same_person = (
        select(Case.platform_id, CaseIdentity.ine, func.count())
        .join(CaseIdentity, CaseIdentity.case_id == Case.id)
        .where(CaseIdentity.ine.is_not(None))
        .group_by(Case.platform_id, CaseIdentity.ine)
        .having(func.count() > 1)
    )
    rows = select(ImportRow.status, ImportRow.case_id).where(
        ImportRow.import_id.in_(ledger.imports), ImportRow.status.in_(PLACED)
    )
    imports = select(Import.id, Import.status, Import.summary_status).where(
        Import.id.in_(ledger.imports)
    )
    outbox = select(OutboxMessage.business_key, OutboxMessage.status, OutboxMessage.message_id)
    timers = select(AuditEvent.case_id, AuditEvent.key, AuditEvent.data).where(
        AuditEvent.kind == "timer_fired"
    )
    mails = select(AuditEvent.key).where(AuditEvent.key.like("mail:%"))
    late = datetime.now(UTC) - OVERDUE_AFTER
    # A deadline on an 18th or 26th birthday fires at the first capped wake after it, up to
    # MAX_WAIT later and a day more if that wake is a birthday (filrouge/core/cases/timers.py).
    birthday_late = late - MAX_WAIT - timedelta(days=1)
    overdue = (
        select(func.count())
        .select_from(Case)
        .where(
            Case.next_deadline_at < late,
            or_(
                Case.next_deadline_kind.not_in([k.value for k in BIRTHDAY_DEADLINES]),
                Case.next_deadline_at < birthday_late,
            ),
        )
    )
    return _Db(
        cases=cases,
        ines=[tuple(r) for r in (await session.execute(same_person)).all()],  # type: ignore[misc]
        import_rows=[tuple(r) for r in (await session.execute(rows)).all()],  # type: ignore[misc]
        imports=[tuple(r) for r in (await session.execute(imports)).all()],  # type: ignore[misc]
        outbox=[tuple(r) for r in (await session.execute(outbox)).all()],  # type: ignore[misc]
        timer_firings=[tuple(r) for r in (await session.execute(timers)).all()],  # type: ignore[misc]
        mail_outcomes={k.removeprefix("mail:") for k in (await session.scalars(mails)).all()},
        overdue=int(await session.scalar(overdue) or 0),
    )


async def _case_workflow_runs(stack: FaultStack) -> dict[str, list[WorkflowExecutionStatus]]:
    """Every run of every case workflow (continued-as-new runs included), by workflow id."""
    runs: dict[str, list[WorkflowExecutionStatus]] = {}
    async for execution in stack.client.list_workflows("WorkflowType = 'CaseWorkflow'"):
        if execution.status is not None:
            runs.setdefault(execution.id, []).append(execution.status)
    return runs


def _figures(
    db: _Db,
    runs: dict[str, list[WorkflowExecutionStatus]],
    failed: int,
    message_ids: Counter[str],
    ledger: Ledger,
) -> Figures:
    acknowledged = _acknowledged(db, ledger)
    lost = sorted(
        c
        for c in acknowledged
        if c not in db.cases or not any(s in ALIVE for s in runs.get(f"case-{c}", []))
    )
    twice = [
        wf
        for wf, statuses in runs.items()
        if sum(s != WorkflowExecutionStatus.CONTINUED_AS_NEW for s in statuses) > 1
    ]
    orphans = [wf for wf in runs if wf.removeprefix("case-") not in db.cases]
    extra_cases = sum(count - 1 for _, _, count in db.ines)
    mails = _mails(db, message_ids)
    steps = _steps(db, ledger)
    unfinished = [i for i, status, _ in db.imports if status not in ("done", "failed")]
    counters = {
        "cases_lost": len(lost),
        "cases_duplicated": extra_cases + len(twice),
        "mails_duplicated": sum(n - 1 for n in message_ids.values() if n > 1),
        "mails_missing": len(mails["missing"]),
        "workflows_failed": failed,
    }
    details = {
        "acknowledged_creations": len(acknowledged),
        "from_api": len(ledger.created),
        "from_referrals": len(ledger.created_by_referral),
        "from_import_rows": sum(1 for _, c in db.import_rows if c),
        "imports": len(db.imports),
        "imports_unfinished": len(unfinished),
        "cases_in_read_model": len(db.cases),
        "case_workflows": len(runs),
        "case_workflow_runs": sum(len(s) for s in runs.values()),
        "workflows_without_case_row": len(orphans),
        "same_ine_twice": extra_cases,
        "workflow_ids_run_twice": len(twice),
        "timer_firings_with_recipients": mails["firings"],
        "mails_expected": mails["expected"],
        "mails_in_sink": sum(message_ids.values()),
        "outbox_failed": mails["failed"],
        "deadlines_overdue_in_read_model": db.overdue,
        "steps_acknowledged": sum(ledger.attempts.values()),
        "steps_lost": steps["lost"],
        "steps_applied_twice": steps["twice"],
        "lost_case_ids": lost[:SAMPLE],
        "missing_mail_keys": mails["missing"][:SAMPLE],
        "duplicated_mail_keys": _duplicated_keys(db, message_ids)[:SAMPLE],
    }
    waiting = {
        "imports_unfinished": len(unfinished),
        "outbox_pending": mails["pending"],
        "mails_missing": len(mails["missing"]),
        "deadlines_overdue": db.overdue,
        "cases_lost": len(lost),
        "steps_lost": steps["lost"],
    }
    return Figures(counters, details, waiting)


def _acknowledged(db: _Db, ledger: Ledger) -> set[str]:
    from_rows = {case_id for _, case_id in db.import_rows if case_id}
    return ledger.created | ledger.created_by_referral | from_rows


def _mails(db: _Db, message_ids: Counter[str]) -> dict[str, Any]:
    """Each timer firing's recipients, each outbox row and each import summary, in the sink."""
    sender = SmtpSettings().sender
    outbox = {key: (status, message_id) for key, status, message_id in db.outbox}
    missing: list[str] = []
    expected = firings = 0
    for case_id, timer_key, data in db.timer_firings:
        recipients = data.get("recipients") or []
        firings += bool(recipients)
        for recipient in recipients:
            expected += 1
            key = f"{case_id}|{data['deadline']}|{recipient}|{timer_key.removeprefix('timer:')}"
            status, message_id = outbox.get(key, ("", ""))
            delivered = status == "sent" and message_ids[message_id] > 0
            if not delivered and key not in db.mail_outcomes:
                missing.append(key)
    for key, (status, message_id) in outbox.items():
        if status == "sent" and message_ids[message_id] == 0 and key not in missing:
            missing.append(key)
    for import_id, status, summary in db.imports:
        expected += status == "done"
        gone = message_ids[message_id_for(f"import|{import_id}", sender)] == 0
        if status == "done" and summary != "no_recipient" and gone:
            missing.append(f"import|{import_id}")
    pending = sum(1 for status, _ in outbox.values() if status == "pending")
    failed = sum(1 for status, _ in outbox.values() if status == "failed")
    return {
        "missing": missing,
        "expected": expected,
        "firings": firings,
        "pending": pending,
        "failed": failed,
    }


def _duplicated_keys(db: _Db, message_ids: Counter[str]) -> list[str]:
    """The outbox key (or import summary) of each Message-ID received more than once."""
    sender = SmtpSettings().sender
    keys = {message_id: key for key, _, message_id in db.outbox}
    keys |= {message_id_for(f"import|{i}", sender): f"import|{i}" for i, _, _ in db.imports}
    return sorted(keys.get(m, m) for m, n in message_ids.items() if n > 1)


def _steps(db: _Db, ledger: Ledger) -> dict[str, int]:
    """Acknowledged contact attempts against the attempts the read model counts."""
    lost = twice = 0
    for case_id, acknowledged in ledger.attempts.items():
        recorded = db.cases.get(case_id, 0)
        lost += max(0, acknowledged - recorded)
        twice += max(0, recorded - acknowledged)
    return {"lost": lost, "twice": twice}


def duplicate_arrivals(
    messages: list[ReceivedMail], interruptions: list[datetime]
) -> list[dict[str, Any]]:
    """Each Message-ID received more than once: when its copies arrived, and the interruption
    (worker kill, SMTP outage, server restart) nearest to the first copy, from a second before
    it (the message was on its way when the worker died) to the next copy. The gap (negative:
    before the server stored it) is the moment between sending and the sender's record of it;
    None: no interruption, the sender gave up waiting for the server's reply."""
    arrivals: dict[str, list[datetime]] = {}
    for mail in messages:
        arrivals.setdefault(str(mail.message.get("Message-ID", "")), []).append(mail.received_at)
    found = []
    for message_id, times in sorted(arrivals.items(), key=lambda item: item[1][0]):
        if len(times) < 2:
            continue
        first, last = min(times), max(times)
        near = [i for i in interruptions if first - IN_FLIGHT <= i <= last]
        gap = min(((i - first).total_seconds() for i in near), key=abs) if near else None
        found.append(
            {
                "message_id": message_id,
                "arrivals": [t.isoformat(timespec="milliseconds") for t in sorted(times)],
                "interrupted_after_s": round(gap, 3) if gap is not None else None,
            }
        )
    return found
