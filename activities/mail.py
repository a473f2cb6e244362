"""The `send_notification` activity: one e-mail per business key, recorded in the audit log.

Order of work, so that a crash or a retry never sends twice knowingly: the outbox row is
committed as pending (the attempt counted) before the SMTP conversation, then
`activities.delivery.deliver_once` sends it, heartbeats `DELIVERED` the moment the server
accepts it, and marks the row sent (with its audit event) before saying QUIT. See that module
for the one moment a crash still resends (with the same Message-ID).

A notification the workflow could not deliver in time (SMTP down, credentials refused) is
marked `undelivered` by `record_undelivered`, shown to the coordinators, and sent by a later
call of `send_notification` with the same business key: still at most one mail.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.delivery import MailingActivities, deliver_once
from filrouge.core.cases.contracts import (
    RecordUndeliveredInput,
    SendNotificationInput,
    SendNotificationResult,
)
from filrouge.core.cases.pathway import STAGE_LABELS, AuditEvent, DeadlineKind
from filrouge.core.clock import utcnow
from filrouge.core.domain import (
    SOURCE_LABELS,
    DeliveryStatus,
    OutboxStatus,
    Recipient,
    Role,
    Source,
    Stage,
    TimerPolicy,
)
from filrouge.core.durations import parse_duration
from filrouge.mail import links
from filrouge.mail.mailer import (
    PermanentSmtpError,
    SmtpCredentialsRefused,
    TemporarySmtpError,
    message_id_for,
)
from filrouge.store.audit_repository import AuditRepository
from filrouge.store.engine import transaction
from filrouge.store.indicators import IndicatorRepository
from filrouge.store.models import Case, OutboxMessage, User
from filrouge.store.outbox import SENDABLE, OutboxRepository
from filrouge.store.repositories import CaseRepository, ReferenceRepository

UNDELIVERED_LABEL = "Courriel non remis : le serveur de messagerie n'a pas pu l'envoyer"


def business_key(input: SendNotificationInput) -> str:
    """One e-mail per case, kind, recipient role and deadline firing, ever."""
    return f"{input.case_id}|{input.kind}|{Recipient(input.recipient).value}|{input.deadline_key}"


def template_for(kind: str, recipient: Recipient) -> str:
    """The template name: the kind, except the young person's convocation."""
    if kind == DeadlineKind.INTERVIEW_REMINDER and recipient == Recipient.JEUNE:
        return "interview_convocation"
    if recipient == Recipient.PILOTE:
        return f"{kind}_pilot"  # counts per platform: no case id, no link
    return kind


def _fit(text: str, size: int) -> str:
    return text if len(text) <= size else text[: size - 1] + "…"


@dataclass
class _Delivery:
    """A message ready to go, prepared (and its outbox row committed) before sending."""

    message: EmailMessage
    recipients: int


class MailActivities(MailingActivities):
    """Built once in the worker with the session factory, the SMTP settings and the public URL."""

    @activity.defn(name="send_notification")
    async def send_notification(self, input: SendNotificationInput) -> SendNotificationResult:
        """Render and send one reminder/escalation e-mail, exactly once per business key."""
        key = business_key(input)
        prepared = await self._prepare(input, key)
        if isinstance(prepared, SendNotificationResult):
            return prepared

        async def record_sent(refused: int) -> SendNotificationResult:
            return await self._finish_sent(input, key, prepared.recipients, refused)

        try:
            return await deliver_once(self.mailer, prepared.message, record_sent)
        except PermanentSmtpError as exc:
            return await self._finish_failed(input, key, exc.reason)
        except (TemporarySmtpError, SmtpCredentialsRefused) as exc:
            error_type, reason = type(exc).__name__, exc.reason
        await self._postpone(key, reason)
        # Raised outside the except block: the SMTP exception (which may name the young
        # person's address) must not travel to Temporal as the cause.
        raise ApplicationError(f"Envoi différé : {reason}", type=error_type)

    @activity.defn(name="record_undelivered")
    async def record_undelivered(self, input: RecordUndeliveredInput) -> None:
        """Mark the notification undelivered in the outbox and the case history (once)."""
        notification = input.notification
        key = business_key(notification)
        async with transaction(self.sessions) as session:
            outbox = OutboxRepository(session)
            row = await outbox.get(key)
            if row is not None and row.status not in SENDABLE:
                return  # sent or refused for good meanwhile
            if row is None:
                message_id = message_id_for(key, self.smtp.sender)
                row = await outbox.add(_pending_row(notification, key, message_id))
            reason = row.last_error or input.reason
            first = row.status != OutboxStatus.UNDELIVERED
            row.status, row.last_error = OutboxStatus.UNDELIVERED, reason
            if first:
                data = {"reason": reason, "label": UNDELIVERED_LABEL}
                await _record(session, notification, key, "email_undelivered", data, "undelivered")
        activity.logger.warning("Notification %s undelivered: %s", key, reason)

    async def _prepare(
        self, input: SendNotificationInput, key: str
    ) -> _Delivery | SendNotificationResult:
        """Resolve the recipients, render, and commit the pending outbox row."""
        recipient = Recipient(input.recipient)
        async with transaction(self.sessions) as session:
            outbox = OutboxRepository(session)
            row = await outbox.get(key)
            if row is not None and row.status not in SENDABLE:
                return _earlier_result(row)
            case = await CaseRepository(session).get(input.case_id)
            if case is None:
                raise ApplicationError("case row missing", type="CaseMissing")
            to = await _addresses(session, case, recipient)
            if not to:
                await _record(session, input, key, "email_no_recipient", {})
                activity.logger.info("Notification %s: no recipient (%s)", key, recipient.value)
                return SendNotificationResult(
                    DeliveryStatus.NO_RECIPIENT, f"aucun destinataire {recipient}"
                )
            context, reply_to = await self._context(session, case, input)
            mail = self.mailer.render(template_for(input.kind, recipient), context)
            message_id = message_id_for(key, self.smtp.sender)
            row = row or await outbox.add(_pending_row(input, key, message_id))
            # The young person's address stays in their identity row only (erasable).
            row.to_address = "" if recipient == Recipient.JEUNE else _fit(", ".join(to), 320)
            row.subject = _fit(mail.subject, 300)
            row.attempts += 1
            message = self.mailer.message(mail, to=to, message_id=message_id, reply_to=reply_to)
        return _Delivery(message, len(to))

    async def _context(
        self, session: AsyncSession, case: Case, input: SendNotificationInput
    ) -> tuple[dict[str, Any], str | None]:
        """Template variables and the Reply-To; staff mails get no personal data at all."""
        refs = ReferenceRepository(session)
        platform = await refs.platform(case.platform_id)
        referent = await refs.user(case.referent_id) if case.referent_id else None
        common: dict[str, Any] = {
            "platform_name": platform.name if platform else case.platform_id,
            "time_zone": platform.zone_name if platform else None,
            "due_at": input.due_at,
            "interview_at": case.interview_at,
            "referent_name": referent.display_name if referent else None,
            "place_given": bool(input.place),  # staff mails never carry the place itself
        }
        if Recipient(input.recipient) == Recipient.PILOTE:
            stuck = await _stuck_counts(session, case, input)
            return {**common, "stage_entered_at": case.stage_entered_at, "stuck": stuck}, None
        if Recipient(input.recipient) == Recipient.JEUNE:
            structure = await refs.structure(case.structure_id) if case.structure_id else None
            reply_to = referent.email if referent and referent.active else None
            return {
                **common,
                "first_name": case.identity.first_name if case.identity else None,
                "place": input.place,
                "structure_name": structure.name if structure else None,
                "can_reply": reply_to is not None,
            }, reply_to
        return {
            **common,
            "case_ref": case.id,
            "case_url": links.case_link(self.public_url, case.id),
            "decisions_url": links.decisions_link(self.public_url),
            "stage_label": STAGE_LABELS.get(Stage(case.stage), case.stage),
            "stage_entered_at": case.stage_entered_at,
            "identified_at": case.identified_at,
            "since": input.since,
            "closes_at": input.closes_at,
            "source_label": SOURCE_LABELS.get(Source(input.source)) if input.source else None,
        }, None

    async def _finish_sent(
        self, input: SendNotificationInput, key: str, recipients: int, refused: int
    ) -> SendNotificationResult:
        async with transaction(self.sessions) as session:
            row = await _outbox_row(session, key)
            row.status, row.sent_at = OutboxStatus.SENT, utcnow()
            row.last_error = f"{refused} destinataire(s) refusé(s)" if refused else None
            data = {"recipients": recipients - refused, "refused": refused}
            await _record(session, input, key, "email_sent", data)
        activity.logger.info("Notification %s sent", key)
        return SendNotificationResult(DeliveryStatus.SENT, row.message_id)

    async def _finish_failed(
        self, input: SendNotificationInput, key: str, reason: str
    ) -> SendNotificationResult:
        async with transaction(self.sessions) as session:
            row = await _outbox_row(session, key)
            row.status, row.last_error = OutboxStatus.FAILED, reason
            await _record(session, input, key, "email_failed", {"reason": reason})
        activity.logger.warning("Notification %s failed for good: %s", key, reason)
        return SendNotificationResult(DeliveryStatus.FAILED, reason)

    async def _postpone(self, key: str, reason: str) -> None:
        async with transaction(self.sessions) as session:
            row = await _outbox_row(session, key)
            row.last_error = reason
        activity.logger.warning("Notification %s postponed: %s", key, reason)


async def _outbox_row(session: AsyncSession, key: str) -> OutboxMessage:
    row = await OutboxRepository(session).get(key)
    if row is None:
        raise ApplicationError("outbox row missing", type="OutboxMissing")
    return row


def _pending_row(input: SendNotificationInput, key: str, message_id: str) -> OutboxMessage:
    return OutboxMessage(
        business_key=key,
        case_id=input.case_id,
        kind=input.kind,
        recipient_role=Recipient(input.recipient).value,
        to_address="",
        subject="",
        message_id=message_id,
        status=OutboxStatus.PENDING,
        attempts=0,
        created_at=utcnow(),
    )


def _earlier_result(row: OutboxMessage) -> SendNotificationResult:
    if row.status == OutboxStatus.SENT:
        return SendNotificationResult(DeliveryStatus.ALREADY_SENT, row.message_id)
    return SendNotificationResult(DeliveryStatus.FAILED, row.last_error or "")


def _active_addresses(users: list[User]) -> list[str]:
    return sorted({u.email.strip() for u in users if u.active and u.email and u.email.strip()})


async def _stuck_counts(
    session: AsyncSession, case: Case, input: SendNotificationInput
) -> list[tuple[str, int]]:
    """The platform's cases stuck past the policy's delay, per stage label (counts only)."""
    platform = await ReferenceRepository(session).platform(case.platform_id)
    policy = TimerPolicy.from_dict(platform.policy if platform else {})
    since = parse_duration(policy.stuck_escalation).before(input.due_at)
    counts = await IndicatorRepository(session).stuck_by_stage(case.platform_id, since)
    return [(STAGE_LABELS.get(Stage(s), s), n) for s, n in sorted(counts.items())]


async def _addresses(session: AsyncSession, case: Case, recipient: Recipient) -> list[str]:
    """Where the notification goes; empty when nobody can receive it."""
    refs = ReferenceRepository(session)
    if recipient == Recipient.REFERENT:
        referent = await refs.user(case.referent_id) if case.referent_id else None
        return _active_addresses([referent] if referent else [])
    if recipient == Recipient.COORDINATEUR:
        return _active_addresses(await refs.users(case.platform_id, Role.COORDINATEUR))
    if recipient == Recipient.PILOTE:  # the pilots of the platform's Région only
        platform = await refs.platform(case.platform_id)
        region = platform.region if platform else ""
        pilots = await refs.users(role=Role.PILOTE)
        return _active_addresses([u for u in pilots if region and u.region == region])
    identity = case.identity
    if identity is None or not identity.convocation_consent or not identity.email:
        return []
    return [identity.email.strip()]


async def _record(
    session: AsyncSession,
    input: SendNotificationInput,
    key: str,
    kind: str,
    data: dict[str, Any],
    prefix: str = "mail",
) -> None:
    """The final outcome in the case's audit log (never an address)."""
    audit = AuditRepository(session)
    case = await audit.lock_case(input.case_id)
    if case is None:
        raise ApplicationError("case row missing", type="CaseMissing")
    details = {
        "kind": input.kind,
        "recipient": Recipient(input.recipient).value,
        "deadline_key": input.deadline_key,
        **data,
    }
    event = AuditEvent(key=f"{prefix}:{key}", kind=kind, data=details, at=utcnow())
    await audit.append(case, [event])
