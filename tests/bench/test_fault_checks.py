"""The fault trials' counters (bench/fault_checks.py) count what they claim, on made-up looks.

The trials themselves (`make bench-faults`, about 8 minutes) are not part of `make test`: one
real trial needs the dev server, a worker process and up to a minute for the activities a
SIGKILL interrupted to time out, far above the 30 s a test may take here.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

from temporalio.client import WorkflowExecutionStatus as Status

from bench.fault_checks import _Db, _figures, duplicate_arrivals
from bench.fault_load import Ledger
from filrouge.mail.mailer import message_id_for
from filrouge.mail.sink import ReceivedMail
from filrouge.settings import SmtpSettings

FIRED = {"deadline": "no_contact_reminder", "due_at": "", "recipients": ["referent"]}
KEY = "c1|no_contact_reminder|referent|no_contact_reminder@t1"
MESSAGE = "<m1@filrouge.localhost>"


def a_look(**changes: object) -> _Db:
    """Two cases, one timer firing whose mail went out, one finished import."""
    db = _Db(
        cases={"c1": 0, "c2": 1},
        ines=[],
        import_rows=[("created", "c2")],
        imports=[("i1", "done", "sent")],
        outbox=[(KEY, "sent", MESSAGE)],
        timer_firings=[("c1", "timer:no_contact_reminder@t1", FIRED)],
        mail_outcomes={KEY},
        overdue=0,
    )
    for name, value in changes.items():
        setattr(db, name, value)
    return db


def sink(*extra: str) -> Counter[str]:
    summary = message_id_for("import|i1", SmtpSettings().sender)
    return Counter([MESSAGE, summary, *extra])


def ledger() -> Ledger:
    book = Ledger(imports=["i1"], created={"c1"})
    book.attempts["c2"] = 1
    return book


RUNS = {"case-c1": [Status.RUNNING], "case-c2": [Status.CONTINUED_AS_NEW, Status.COMPLETED]}


def test_a_clean_look_counts_nothing() -> None:
    figures = _figures(a_look(), RUNS, 0, sink(), ledger())
    assert set(figures.counters.values()) == {0}
    assert figures.settled
    assert figures.details["mails_expected"] == 2 and figures.details["steps_lost"] == 0


def test_an_acknowledged_case_without_row_or_live_workflow_is_lost() -> None:
    no_row = _figures(a_look(cases={"c2": 1}), RUNS, 0, sink(), ledger())
    failed_run = _figures(a_look(), RUNS | {"case-c1": [Status.FAILED]}, 1, sink(), ledger())
    assert no_row.counters["cases_lost"] == 1
    assert failed_run.counters["cases_lost"] == 1
    assert failed_run.counters["workflows_failed"] == 1


def test_same_ine_twice_or_a_second_run_is_a_duplicate() -> None:
    same_ine = _figures(a_look(ines=[("p", "123", 2)]), RUNS, 0, sink(), ledger())
    twice = RUNS | {"case-c1": [Status.COMPLETED, Status.RUNNING]}
    assert same_ine.counters["cases_duplicated"] == 1
    assert _figures(a_look(), twice, 0, sink(), ledger()).counters["cases_duplicated"] == 1


def test_a_message_id_received_twice_is_a_duplicated_mail() -> None:
    figures = _figures(a_look(), RUNS, 0, sink(MESSAGE), ledger())
    assert figures.counters["mails_duplicated"] == 1
    assert figures.details["duplicated_mail_keys"] == [KEY]


def test_a_firing_without_its_mail_is_missing_until_it_arrives() -> None:
    pending = a_look(outbox=[(KEY, "pending", MESSAGE)], mail_outcomes=set())
    figures = _figures(pending, RUNS, 0, Counter(), ledger())
    assert figures.counters["mails_missing"] == 2  # the reminder and the import summary
    assert not figures.settled and figures.waiting["outbox_pending"] == 1
    no_recipient = a_look(outbox=[], mail_outcomes={KEY})  # recorded as "no recipient"
    assert _figures(no_recipient, RUNS, 0, sink(), ledger()).counters["mails_missing"] == 0


def test_an_acknowledged_step_missing_from_the_read_model_is_lost() -> None:
    figures = _figures(a_look(cases={"c1": 0, "c2": 0}), RUNS, 0, sink(), ledger())
    assert figures.details["steps_lost"] == 1 and not figures.settled


def test_each_duplicate_shows_when_its_copies_came_and_the_interruption_between() -> None:
    def received(message_id: str, at: datetime) -> ReceivedMail:
        message = EmailMessage()
        message["Message-ID"] = message_id
        return ReceivedMail("a@x", ["b@x"], message, Path("m.eml"), at)

    t0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    t1 = t0 + timedelta(minutes=5)
    mails = [
        received(MESSAGE, t0),
        received("<other@x>", t0),
        received(MESSAGE, t0 + timedelta(seconds=61)),
        received("<in-flight@x>", t1),
        received("<in-flight@x>", t1 + timedelta(seconds=65)),
        received("<timed-out@x>", t1 + timedelta(minutes=5)),
        received("<timed-out@x>", t1 + timedelta(minutes=5, seconds=15)),
    ]
    kills = [t0 - timedelta(seconds=5), t0 + timedelta(milliseconds=120)]
    kills += [t1 - timedelta(milliseconds=8), t1 + timedelta(seconds=4)]
    found = {d["message_id"]: d for d in duplicate_arrivals(mails, kills)}
    assert found[MESSAGE] == {
        "message_id": MESSAGE,
        "arrivals": ["2026-01-01T12:00:00.000+00:00", "2026-01-01T12:01:01.000+00:00"],
        "interrupted_after_s": 0.12,
    }
    assert found["<in-flight@x>"]["interrupted_after_s"] == -0.008  # killed while on its way
    assert found["<timed-out@x>"]["interrupted_after_s"] is None  # the sender gave up waiting
    assert set(found) == {MESSAGE, "<in-flight@x>", "<timed-out@x>"}
