"""Sending one mail from an activity so that a crash at any moment never sends it twice knowingly.

The caller has already recorded the attempt durably (its outbox row, or the import's summary
status, committed as pending) and gives the message a Message-ID derived from its business
key, the same on every attempt. Then, in one SMTP session:

1. MAIL, RCPT, DATA: the server accepts the message (its reply to the end of DATA);
2. at once, before any database wait, the activity heartbeats `DELIVERED` to Temporal;
3. the caller marks the mail sent in the database (`record_sent`);
4. only then QUIT, whose round trip is no longer part of the window.

A retry (after a SIGKILL, a timeout, a failed database write) that finds `DELIVERED` in its
heartbeat details records the delivery without sending; one that finds the row sent does not
send either. What remains is the moment between the server's acceptance and the heartbeat
reaching Temporal: a crash there cannot be told from a crash just before the acceptance, and
the mail goes again with the same Message-ID (at least once rather than at most once: a lost
legal escalation is worse than a duplicate a receiver can drop). docs/architecture.md says so.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from email.message import EmailMessage
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity

from filrouge.mail.mailer import Mailer
from filrouge.settings import SmtpSettings

# Heartbeat detail: the SMTP server accepted the message.
DELIVERED = "delivered"

Recorded = TypeVar("Recorded")


def accepted_earlier() -> int | None:
    """Refused recipients when an earlier attempt had the message accepted; else None."""
    details = list(activity.info().heartbeat_details)
    if len(details) == 2 and details[0] == DELIVERED:
        return int(details[1])
    return None


async def deliver_once(
    mailer: Mailer,
    message: EmailMessage,
    record_sent: Callable[[int], Awaitable[Recorded]],
) -> Recorded:
    """Send `message` unless an earlier attempt did, then `record_sent(refused recipients)`.

    SMTP failures propagate as the mailer's PermanentSmtpError, TemporarySmtpError or
    SmtpCredentialsRefused: nothing was accepted.
    """
    earlier = accepted_earlier()
    if earlier is not None:
        return await record_sent(earlier)
    async with mailer.connection() as smtp:
        refused = len(await smtp.send(message))
        activity.heartbeat(DELIVERED, refused)
        return await record_sent(refused)


class MailingActivities:
    """The state of activities that write the store and send mail: the session factory, the
    SMTP settings, the mailer, and the public address their mails link to."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        smtp: SmtpSettings,
        public_url: str,
        mailer: Mailer | None = None,
    ) -> None:
        self.sessions = sessions
        self.smtp = smtp
        self.public_url = public_url.rstrip("/")
        self.mailer = mailer or Mailer(smtp)
