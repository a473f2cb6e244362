"""The send_notification activity against a real SMTP server on loopback and a real SQLite file."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.mail import MailActivities, business_key
from filrouge.core.cases.contracts import SendNotificationInput, SendNotificationResult
from filrouge.core.cases.pathway import DeadlineKind
from filrouge.core.domain import Recipient, Role
from filrouge.mail import links
from filrouge.mail.mailer import Mailer, message_id_for
from filrouge.mail.sink import MailSink
from filrouge.settings import SmtpSettings
from filrouge.store.audit_repository import AuditRepository
from filrouge.store.engine import make_engine, make_sessionmaker, transaction
from filrouge.store.models import (
    AuditEvent,
    Base,
    Case,
    CaseIdentity,
    OutboxMessage,
    Platform,
    Structure,
    User,
)
from tests.conftest import (
    BACKENDS,
    POSTGRES_ADMIN_URL,
    _drop_postgres_database,
    _postgres_database,
)

PUBLIC_URL = "http://filrouge.test"
NOW = datetime(2025, 3, 10, 8, 0, tzinfo=UTC)
REFERENT = "claire.martin@ml-lille.example"
COORDINATORS = ["coordination@cio-lille.example", "direction@ml-lille.example"]
PILOT = "pilotage@region.example"
YOUNG = {
    "first_name": "Léandre",
    "last_name": "Vasseur-Kowalski",
    "phone": "0612345678",
    "email": "leandre.vk@exemple.org",
    "ine": "123456789AB",
    "address": "12 rue des Lilas",
}
CASE, NO_CONSENT, NO_REFERENT = "c0000000000000000000000a1", "c00000000000000000000000b2", "c3"

# Every timer kind that has recipients, and to whom it goes (filrouge.core.cases.pathway.deadlines).
STAFF_KINDS: dict[str, tuple[Recipient, ...]] = {
    "routing_escalation": (Recipient.COORDINATEUR,),
    "no_contact_reminder": (Recipient.REFERENT,),
    "no_contact_escalation": (Recipient.COORDINATEUR,),
    "stuck_escalation": (Recipient.PILOTE,),
    "interview_reminder": (Recipient.REFERENT,),
    "interview_unrecorded_reminder": (Recipient.REFERENT,),
    "interview_unrecorded_escalation": (Recipient.COORDINATEUR,),
    "droit_retour_deadline": (Recipient.COORDINATEUR,),
    "decision_escalation": (Recipient.COORDINATEUR,),
    "entry_unconfirmed_reminder": (Recipient.REFERENT,),
    "follow_up_due": (Recipient.REFERENT,),
    "obligation_report": (Recipient.COORDINATEUR,),
    "age_limit": (Recipient.REFERENT, Recipient.COORDINATEUR),
    "inactivity_warning": (Recipient.COORDINATEUR,),
}
SUBJECTS = {
    "routing_escalation": "en attente d'attribution",
    "no_contact_reminder": "Rappel : premier contact à établir",
    "no_contact_escalation": "Escalade : aucun contact",
    "stuck_escalation": "sans évolution depuis le 1er mars 2025",
    "interview_reminder": "Rappel : entretien le 12 mars 2025 à 14 h 30",
    "interview_unrecorded_reminder": "compte rendu d'entretien à saisir",
    "interview_unrecorded_escalation": "Escalade : entretien sans compte rendu",
    "droit_retour_deadline": "Délai légal dépassé : droit au retour en formation",
    "decision_escalation": "Décision en attente",
    "entry_unconfirmed_reminder": "entrée en solution à confirmer",
    "follow_up_due": "Point de suivi à réaliser",
    "obligation_report": "signalement au conseil départemental",
    "age_limit": "Limite d'âge atteinte",
    "inactivity_warning": "Clôture prochaine",
    "interview_convocation": "Votre rendez-vous du 12 mars 2025",
}


def _user(
    uid: str,
    email: str,
    role: Role,
    platform: str | None,
    active: bool = True,
    region: str | None = None,
) -> User:
    return User(
        region=region,
        id=uid,
        display_name=uid.title(),
        email=email,
        role=role.value,
        platform_id=platform,
        structure_id=None,
        active=active,
        created_at=NOW,
    )


def _case(case_id: str, referent_id: str | None, consent: bool) -> list[object]:
    case = Case(
        id=case_id,
        platform_id="p1",
        source="siei",
        identified_at=datetime(2025, 2, 1, tzinfo=UTC),
        stage="bilan",
        referent_id=referent_id,
        structure_id="s1",
        stage_entered_at=datetime(2025, 3, 1, 9, 0, tzinfo=UTC),
        interview_at=datetime(2025, 3, 12, 13, 30, tzinfo=UTC),
        updated_at=NOW,
    )
    identity = CaseIdentity(
        case_id=case_id, birth_date=date(2008, 5, 4), convocation_consent=consent, **YOUNG
    )
    return [case, identity]


def _reference_rows() -> list[object]:
    return [
        Platform(id="p1", name="PSAD Lille", region="Hauts-de-France", created_at=NOW),
        Platform(id="p2", name="PSAD Arras", region="Hauts-de-France", created_at=NOW),
        Structure(id="s1", platform_id="p1", name="Mission locale de Lille", kind="mission_locale"),
        _user("referente", REFERENT, Role.REFERENT, "p1"),
        _user("coord-cio", COORDINATORS[0], Role.COORDINATEUR, "p1"),
        _user("coord-ml", COORDINATORS[1], Role.COORDINATEUR, "p1"),
        _user("coord-parti", "ancien@ml-lille.example", Role.COORDINATEUR, "p1", active=False),
        _user("coord-arras", "coordination@arras.example", Role.COORDINATEUR, "p2"),
        _user("pilote", PILOT, Role.PILOTE, None, region="Hauts-de-France"),
        _user("pilote-parti", "ancien@region.example", Role.PILOTE, None, False, "Hauts-de-France"),
        # Another Région's pilot is never told about these platforms (issue 8, item 16).
        _user("pilote-ailleurs", "pilotage@bretagne.example", Role.PILOTE, None, region="Bretagne"),
    ]


@pytest.fixture(params=BACKENDS)
async def db(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """A fresh database (SQLite file, then PostgreSQL) with platforms, staff and three cases."""
    postgres = None
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'mail.db'}"
    else:
        postgres = await _postgres_database()
        if postgres is None:
            pytest.skip(f"PostgreSQL tests skipped: no server answers at {POSTGRES_ADMIN_URL}")
        url = postgres[1]
    engine = make_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    sessions = make_sessionmaker(engine)
    async with transaction(sessions) as session:
        session.add_all(_reference_rows())
        await session.flush()
        for rows in (
            _case(CASE, "referente", consent=True),
            _case(NO_CONSENT, "referente", consent=False),
            _case(NO_REFERENT, None, consent=True),
        ):
            session.add_all(rows)
    yield sessions
    await engine.dispose()
    if postgres is not None:
        await _drop_postgres_database(postgres[0])


@pytest.fixture
def mail(db: async_sessionmaker[AsyncSession], mail_sink: MailSink) -> MailActivities:
    smtp = SmtpSettings(host="127.0.0.1", port=mail_sink.port, timeout_seconds=5)
    return MailActivities(db, smtp, PUBLIC_URL)


def notification(
    kind: str, recipient: Recipient, case_id: str = CASE, deadline_key: str = "k1"
) -> SendNotificationInput:
    return SendNotificationInput(case_id, kind, recipient, f"{kind}@{deadline_key}", NOW)


async def run(mail: MailActivities, input: SendNotificationInput) -> SendNotificationResult:
    return await ActivityEnvironment().run(mail.send_notification, input)


async def outbox_row(
    sessions: async_sessionmaker[AsyncSession], input: SendNotificationInput
) -> OutboxMessage | None:
    async with transaction(sessions) as session:
        query = select(OutboxMessage).where(OutboxMessage.business_key == business_key(input))
        return (await session.execute(query)).scalar_one_or_none()


async def mail_events(sessions: async_sessionmaker[AsyncSession], case_id: str) -> list[AuditEvent]:
    async with transaction(sessions) as session:
        history = await AuditRepository(session).history(case_id)
        case = await session.get(Case, case_id)
        assert case is not None
        assert (await AuditRepository(session).verify(case)).ok
    return [e for e in history if e.kind.startswith("email_")]


def bodies(message: EmailMessage) -> str:
    """Headers and decoded text and HTML parts of a received message."""
    parts = [str(v) for v in message.values()]
    for part in message.walk():
        if part.get_content_maintype() == "text":
            parts.append(part.get_content())
    return "\n".join(parts)


# ------------------------------------------------------------------ templates


def staff_context(platform_name: str = "PSAD Lille") -> dict[str, object]:
    return {
        "case_ref": CASE,
        "case_url": links.case_link(PUBLIC_URL, CASE),
        "decisions_url": links.decisions_link(PUBLIC_URL),
        "platform_name": platform_name,
        "stage_label": "bilan-positionnement",
        "stage_entered_at": datetime(2025, 3, 1, 9, 0, tzinfo=UTC),
        "identified_at": datetime(2025, 2, 1, tzinfo=UTC),
        "interview_at": datetime(2025, 3, 12, 13, 30, tzinfo=UTC),
        "due_at": NOW,
        "referent_name": "Claire Martin",
        "closes_at": NOW,
        "since": None,
        "place_given": True,
    }


def test_every_timer_kind_with_recipients_has_a_template() -> None:
    silent = {
        DeadlineKind.OBLIGATION_ENDS,
        DeadlineKind.INACTIVITY_CLOSURE,
        DeadlineKind.RETENTION_DUE,
    }
    assert set(STAFF_KINDS) == {k.value for k in DeadlineKind} - silent
    mailer = Mailer(SmtpSettings())
    for name in [*STAFF_KINDS, "interview_convocation"]:
        assert mailer.has_template(name), name


@pytest.mark.parametrize("kind", list(STAFF_KINDS))
def test_staff_template_renders_text_and_html(kind: str) -> None:
    mail = Mailer(SmtpSettings()).render(kind, staff_context("PSAD <Lille & Nord>"))
    assert SUBJECTS[kind] in mail.subject
    assert mail.subject.startswith("[Fil rouge]") and CASE in mail.subject
    assert "\n" not in mail.subject
    assert mail.text.startswith("Bonjour,") and "À faire :" in mail.text
    assert f"Ouvrir le dossier : {PUBLIC_URL}/dossiers/{CASE}" in mail.text
    assert f'href="{PUBLIC_URL}/dossiers/{CASE}"' in mail.html
    if kind == "decision_escalation":  # the coordinators' queue of decisions first
        assert f"Décisions en attente : {PUBLIC_URL}/plateforme/decisions" in mail.text
        assert f'href="{PUBLIC_URL}/plateforme/decisions"' in mail.html
    assert "<strong>À faire :</strong>" in mail.html
    assert "PSAD &lt;Lille &amp; Nord&gt;" in mail.html  # autoescaped
    assert "PSAD <Lille & Nord>" in mail.text  # plain text is not
    for body in (mail.text, mail.html):
        assert "None" not in body and "date non renseignée" not in body


def test_the_referent_is_told_when_the_interview_has_no_place_but_never_given_it() -> None:
    mailer = Mailer(SmtpSettings())
    placed = mailer.render("interview_reminder", staff_context())
    unplaced = mailer.render("interview_reminder", staff_context() | {"place_given": False})
    assert "lieu n’est pas renseigné" not in placed.text
    assert "lieu n’est pas renseigné" in " ".join(unplaced.text.split())


@pytest.mark.parametrize("kind", list(STAFF_KINDS))
def test_staff_template_without_a_referent_name_reads_in_french(kind: str) -> None:
    """« à le référent » is not French: the article contracts (« au référent »)."""
    context = staff_context() | {"referent_name": None}
    mail = Mailer(SmtpSettings()).render(kind, context)
    for body in (mail.subject, mail.text, mail.html):
        flat = " ".join(body.split())
        assert not re.search(r"\b(à|de) (le|les) ", flat, re.IGNORECASE), flat


def test_legal_deadlines_cite_their_texts() -> None:
    mailer = Mailer(SmtpSettings())
    report = " ".join(mailer.render("obligation_report", staff_context()).text.split())
    assert "loi n° 2019-791" in report and "décret n° 2020-978" in report
    assert "président du conseil départemental" in report
    retour = " ".join(mailer.render("droit_retour_deadline", staff_context()).text.split())
    assert "2014-1453" in retour and "2014-1454" in retour and "15 jours" in retour


def test_convocation_renders_for_the_young_person() -> None:
    context = {
        "platform_name": "PSAD Lille",
        "due_at": NOW,
        "interview_at": datetime(2025, 3, 12, 13, 30, tzinfo=UTC),
        "referent_name": "Claire Martin",
        "first_name": "Léandre",
        "structure_name": "Mission locale de Lille",
        "can_reply": True,
        "place": "CIO de Lille, 3 rue <Nationale>",
    }
    mail = Mailer(SmtpSettings()).render("interview_convocation", context)
    assert "Lieu du rendez-vous : CIO de Lille, 3 rue <Nationale>" in mail.text
    assert "CIO de Lille, 3 rue &lt;Nationale&gt;" in mail.html
    unplaced = Mailer(SmtpSettings()).render("interview_convocation", context | {"place": None})
    assert "Lieu du rendez-vous : Mission locale de Lille (votre conseiller" in " ".join(
        unplaced.text.split()
    )
    assert mail.subject == SUBJECTS["interview_convocation"]
    assert mail.text.startswith("Bonjour Léandre,")
    assert "12 mars 2025 à 14 h 30" in mail.text and "12 mars 2025 à 14 h 30" in mail.html
    assert "en répondant à ce message" in mail.text
    assert "/cases/" not in mail.text + mail.html  # the staff link means nothing to them


# ------------------------------------------------------------------ sending


async def test_referent_reminder_arrives_at_the_referent(
    mail: MailActivities, mail_sink: MailSink, db: async_sessionmaker[AsyncSession]
) -> None:
    input = notification("no_contact_reminder", Recipient.REFERENT)
    result = await run(mail, input)
    assert result.status == "sent"
    [received] = mail_sink.wait_for(1)
    assert received.envelope_to == [REFERENT]
    assert received.message["To"] == REFERENT
    assert received.message["Subject"] == (
        f"[Fil rouge] Rappel : premier contact à établir, dossier {CASE}"
    )
    assert received.message["Message-ID"] == message_id_for(business_key(input), mail.smtp.sender)
    text = " ".join(received.message.get_body(("plain",)).get_content().split())  # type: ignore[union-attr]
    assert "aucune tentative de contact n'a encore été enregistrée" in text
    assert f"{PUBLIC_URL}/dossiers/{CASE}" in text, "the case page, never the JSON API"
    assert received.path.read_bytes().startswith(b"Return-Path:")
    row = await outbox_row(db, input)
    assert row is not None
    assert (row.status, row.attempts, row.to_address) == ("sent", 1, REFERENT)
    assert row.sent_at is not None and row.last_error is None


@pytest.mark.parametrize(
    ("territory", "chosen", "shown"),
    [
        ({"communes": ["59350"]}, None, "12 mars 2025 à 14 h 30"),  # Lille: Paris time
        ({"departements": ["973"]}, None, "12 mars 2025 à 10 h 30"),  # Guyane
        ({"departements": ["974"]}, None, "12 mars 2025 à 17 h 30"),  # La Réunion
        ({"communes": ["59350"]}, "Pacific/Noumea", "13 mars 2025 à 0 h 30"),  # chosen
    ],
)
async def test_mails_show_times_in_the_platform_s_time_zone(
    mail: MailActivities,
    mail_sink: MailSink,
    db: async_sessionmaker[AsyncSession],
    territory: dict[str, list[str]],
    chosen: str | None,
    shown: str,
) -> None:
    async with transaction(db) as session:
        platform = await session.get(Platform, "p1")
        assert platform is not None
        platform.territory, platform.time_zone = territory, chosen

    await run(mail, notification("interview_reminder", Recipient.REFERENT))
    await run(mail, notification("interview_reminder", Recipient.JEUNE))

    for received in mail_sink.wait_for(2):
        assert shown in received.message["Subject"] + bodies(received.message)


async def test_coordinator_escalation_goes_to_all_active_coordinators(
    mail: MailActivities, mail_sink: MailSink
) -> None:
    result = await run(mail, notification("no_contact_escalation", Recipient.COORDINATEUR))
    assert result.status == "sent"
    [received] = mail_sink.wait_for(1)
    assert sorted(received.envelope_to) == COORDINATORS
    assert "Escalade : aucun contact" in received.message["Subject"]


async def test_stuck_escalation_goes_to_active_pilots(
    mail: MailActivities, mail_sink: MailSink
) -> None:
    assert (await run(mail, notification("stuck_escalation", Recipient.PILOTE))).status == "sent"
    assert [m.envelope_to for m in mail_sink.wait_for(1)] == [[PILOT]]


async def test_a_pilot_is_told_counts_per_platform_never_a_case_or_a_link(
    mail: MailActivities, mail_sink: MailSink
) -> None:
    # Fired 30 days after the cases of the fixture entered « bilan » (1 March, 9:00).
    due = datetime(2025, 3, 31, 9, 0, tzinfo=UTC)
    input = SendNotificationInput(CASE, "stuck_escalation", Recipient.PILOTE, "stuck@k", due)

    assert (await run(mail, input)).status == "sent"

    [received] = mail_sink.wait_for(1)
    assert received.envelope_to == [PILOT]
    text = bodies(received.message) + received.path.read_text(errors="replace")
    assert CASE not in text and "/cases/" not in text
    assert "PSAD Lille" in received.message["Subject"]
    plain = received.message.get_body(("plain",))
    assert plain is not None
    assert "à l'étape « bilan-positionnement » : 3 dossiers" in plain.get_content()


async def test_same_notification_twice_sends_one_mail(
    mail: MailActivities, mail_sink: MailSink, db: async_sessionmaker[AsyncSession]
) -> None:
    input = notification("follow_up_due", Recipient.REFERENT)
    first, second = await run(mail, input), await run(mail, input)
    assert (first.status, second.status) == ("sent", "already_sent")
    assert len(mail_sink.messages) == 1
    assert [e.kind for e in await mail_events(db, CASE)] == ["email_sent"]
    other_firing = notification("follow_up_due", Recipient.REFERENT, deadline_key="k2")
    assert (await run(mail, other_firing)).status == "sent"
    assert len(mail_sink.wait_for(2)) == 2


async def test_permanent_refusal_fails_and_is_never_retried(
    mail: MailActivities, mail_sink: MailSink, db: async_sessionmaker[AsyncSession]
) -> None:
    mail_sink.reject_permanent.add(REFERENT)
    input = notification("entry_unconfirmed_reminder", Recipient.REFERENT)
    result = await run(mail, input)
    assert result.status == "failed" and "550" in result.detail
    row = await outbox_row(db, input)
    assert row is not None and row.status == "failed" and "550" in (row.last_error or "")
    mail_sink.reject_permanent.clear()
    again = await run(mail, input)
    assert again.status == "failed"
    assert mail_sink.messages == []
    [event] = await mail_events(db, CASE)
    assert event.kind == "email_failed" and "550" in event.data["reason"]
    assert event.data["recipient"] == "referent"


async def test_temporary_refusal_is_retried_and_then_sent_once(
    mail: MailActivities, mail_sink: MailSink, db: async_sessionmaker[AsyncSession]
) -> None:
    mail_sink.reject_temporary.add(REFERENT)
    input = notification("interview_unrecorded_reminder", Recipient.REFERENT)
    with pytest.raises(ApplicationError) as raised:
        await run(mail, input)
    assert raised.value.type == "TemporarySmtpError" and not raised.value.non_retryable
    row = await outbox_row(db, input)
    assert row is not None
    assert (row.status, row.attempts) == ("pending", 1) and "451" in (row.last_error or "")
    assert await mail_events(db, CASE) == []

    mail_sink.reject_temporary.clear()
    assert (await run(mail, input)).status == "sent"
    assert (await run(mail, input)).status == "already_sent"
    assert len(mail_sink.wait_for(1)) == 1
    row = await outbox_row(db, input)
    assert row is not None and (row.status, row.attempts) == ("sent", 2)
    assert [e.kind for e in await mail_events(db, CASE)] == ["email_sent"]


async def test_unreachable_server_is_a_temporary_failure(
    db: async_sessionmaker[AsyncSession], mail_sink: MailSink
) -> None:
    port = mail_sink.port
    mail_sink.stop()
    mail = MailActivities(db, SmtpSettings(port=port, timeout_seconds=2), PUBLIC_URL)
    input = notification("decision_escalation", Recipient.COORDINATEUR)
    with pytest.raises(ApplicationError) as raised:
        await run(mail, input)
    assert raised.value.type == "TemporarySmtpError"
    row = await outbox_row(db, input)
    assert row is not None and row.status == "pending"


async def test_convocation_needs_consent(
    mail: MailActivities, mail_sink: MailSink, db: async_sessionmaker[AsyncSession]
) -> None:
    refused = await run(mail, notification("interview_reminder", Recipient.JEUNE, NO_CONSENT))
    assert refused.status == "no_recipient"
    input = notification("interview_reminder", Recipient.JEUNE)
    assert (await run(mail, input)).status == "sent"
    [received] = mail_sink.wait_for(1)
    assert received.envelope_to == [YOUNG["email"]]
    assert received.message["Subject"] == "Votre rendez-vous du 12 mars 2025"
    assert received.message["Reply-To"] == REFERENT
    assert "Bonjour Léandre," in bodies(received.message)
    row = await outbox_row(db, input)
    assert row is not None and row.to_address == ""  # their address stays in the identity row
    [event] = await mail_events(db, CASE)
    assert YOUNG["email"] not in str(event.data)
    [no_consent] = await mail_events(db, NO_CONSENT)
    assert no_consent.kind == "email_no_recipient" and no_consent.data["recipient"] == "jeune"


async def test_young_persons_address_never_leaves_in_errors(
    mail: MailActivities, mail_sink: MailSink, db: async_sessionmaker[AsyncSession]
) -> None:
    mail_sink.reject_temporary.add(YOUNG["email"])
    input = notification("interview_reminder", Recipient.JEUNE)
    with pytest.raises(ApplicationError) as raised:
        await run(mail, input)
    assert YOUNG["email"] not in str(raised.value) and raised.value.__cause__ is None
    mail_sink.reject_temporary.clear()
    mail_sink.reject_permanent.add(YOUNG["email"])
    result = await run(mail, input)
    assert result.status == "failed" and YOUNG["email"] not in result.detail
    row = await outbox_row(db, input)
    assert row is not None and YOUNG["email"] not in f"{row.to_address} {row.last_error}"
    [event] = await mail_events(db, CASE)
    assert event.kind == "email_failed" and YOUNG["email"] not in str(event.data)


async def test_no_referent_means_no_recipient(
    mail: MailActivities, mail_sink: MailSink, db: async_sessionmaker[AsyncSession]
) -> None:
    input = notification("no_contact_reminder", Recipient.REFERENT, NO_REFERENT)
    assert (await run(mail, input)).status == "no_recipient"
    assert mail_sink.messages == [] and await outbox_row(db, input) is None
    [event] = await mail_events(db, NO_REFERENT)
    assert event.kind == "email_no_recipient"
    assert event.key == f"mail:{business_key(input)}"
    assert event.data == {
        "kind": "no_contact_reminder",
        "recipient": "referent",
        "deadline_key": input.deadline_key,
    }


async def test_staff_mails_carry_no_personal_data(
    mail: MailActivities, mail_sink: MailSink, db: async_sessionmaker[AsyncSession]
) -> None:
    inputs = [
        notification(kind, recipient)
        for kind, recipients in STAFF_KINDS.items()
        for recipient in recipients
    ]
    for input in inputs:
        assert (await run(mail, input)).status == "sent", input.kind
    received = mail_sink.wait_for(len(inputs))
    assert len(received) == len(inputs)
    for message in received:
        content = bodies(message.message) + message.path.read_text(errors="replace")
        # A regional pilot is told counts per platform, never a case (issue 8, item 16).
        assert (CASE in content) is (PILOT not in message.envelope_to)
        for value in YOUNG.values():
            assert value not in content, (message.message["Subject"], value)
    events = await mail_events(db, CASE)
    assert [e.kind for e in events] == ["email_sent"] * len(inputs)
    assert {e.data["kind"] for e in events} == set(STAFF_KINDS)


class _WorkerKilled(Exception):
    """Stands for a SIGKILL of the worker right after the activity's heartbeat."""


async def test_worker_killed_after_delivery_does_not_send_twice(
    mail: MailActivities, mail_sink: MailSink, db: async_sessionmaker[AsyncSession]
) -> None:
    input = notification("no_contact_reminder", Recipient.REFERENT)
    first, beats = ActivityEnvironment(), []

    def killed(*details: object) -> None:
        beats.append(details)
        raise _WorkerKilled

    first.on_heartbeat = killed
    with pytest.raises(_WorkerKilled):
        await first.run(mail.send_notification, input)
    assert len(mail_sink.wait_for(1)) == 1
    row = await outbox_row(db, input)
    assert row is not None and row.status == "pending"  # killed before the row was marked

    retry = ActivityEnvironment()
    retry.info = dataclasses.replace(retry.info, attempt=2, heartbeat_details=beats[-1])
    assert (await retry.run(mail.send_notification, input)).status == "sent"
    assert len(mail_sink.messages) == 1
    row = await outbox_row(db, input)
    assert row is not None and row.status == "sent"
    assert [e.kind for e in await mail_events(db, CASE)] == ["email_sent"]


def test_import_summary_links_open_the_import_and_duplicates_pages() -> None:
    counts = {
        "rows_read": 3, "created": 1, "to_route": 0, "reidentified": 0,
        "possible_duplicates": 2, "in_file_duplicates": 0, "rejected": 0,
    }  # fmt: skip
    context = {
        "platform_name": "PSAD Lille",
        "filename": "liste.csv",
        "counts": counts,
        "ignored_columns": [],
        "dropped_columns": [],
        "import_url": links.import_link(PUBLIC_URL, "i1"),
        "rejected_url": links.rejected_rows_link(PUBLIC_URL, "i1"),
        "duplicates_url": links.duplicates_link(PUBLIC_URL),
    }
    mail = Mailer(SmtpSettings()).render("import_summary", context)
    assert f"Rapport : {PUBLIC_URL}/plateforme/imports/i1\n" in mail.text
    assert f"(CSV) : {PUBLIC_URL}/plateforme/imports/i1/rejets.csv" in mail.text
    assert f"Doublons possibles à examiner : {PUBLIC_URL}/plateforme/doublons" in mail.text
    assert f'href="{PUBLIC_URL}/plateforme/doublons"' in mail.html
    none = Mailer(SmtpSettings()).render(
        "import_summary", context | {"counts": counts | {"possible_duplicates": 0}}
    )
    assert "/plateforme/doublons" not in none.text + none.html
