"""E-mail: French templates rendered in a Jinja2 sandbox, sent over SMTP with aiosmtplib.

SMTP failures are split into permanent ones (a 5xx reply: never retried), temporary ones
(4xx, connection errors, timeouts: retried by Temporal) and refused credentials (our own
configuration: not retried at once, the case workflow delivers again later). Error reasons
never carry an e-mail address, so they can go to the audit log, the logs and Temporal's
history.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from pathlib import Path
from typing import Any

import aiosmtplib
from jinja2 import FileSystemLoader, StrictUndefined, TemplateNotFound, pass_context
from jinja2.runtime import Context
from jinja2.sandbox import SandboxedEnvironment

from filrouge.core import local_time
from filrouge.core.clock import utcnow
from filrouge.settings import SmtpSettings

TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "templates" / "mail"

UNKNOWN_DATE = "(date non renseignée)"
_ADDRESS = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")


class SmtpError(Exception):
    """An SMTP delivery failure; `reason` is safe to log (addresses are masked)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class PermanentSmtpError(SmtpError):
    """The server refused for good (5xx): sending again would fail the same way."""


class TemporarySmtpError(SmtpError):
    """The server or the network failed for now (4xx, connection, timeout): retry later."""


class SmtpCredentialsRefused(SmtpError):
    """The server refused our login: every mail fails until an operator fixes the settings."""


@dataclass(frozen=True)
class RenderedMail:
    subject: str
    text: str
    html: str


def french_date(moment: datetime | None, where: str | tzinfo | None = None) -> str:
    """'3 mars 2025' (or '1er mars 2025') in the zone `where` (default: Paris)."""
    return local_time.french_date(moment, where, missing=UNKNOWN_DATE)


def french_datetime(moment: datetime | None, where: str | tzinfo | None = None) -> str:
    """'3 mars 2025 à 14 h 30' in the zone `where` (default: Paris)."""
    return local_time.french_datetime(moment, where, missing=UNKNOWN_DATE)


@pass_context
def _date_filter(context: Context, moment: datetime | None) -> str:
    return french_date(moment, context.get("time_zone"))


@pass_context
def _datetime_filter(context: Context, moment: datetime | None) -> str:
    return french_datetime(moment, context.get("time_zone"))


def mask_addresses(text: str) -> str:
    """Replace anything that looks like an e-mail address (server replies often echo it)."""
    return _ADDRESS.sub("<adresse masquée>", text)


def message_id_for(business_key: str, sender: str) -> str:
    """A Message-ID that is the same on every retry, so receivers can drop duplicates."""
    domain = parseaddr(sender)[1].rpartition("@")[2] or "filrouge.localhost"
    digest = hashlib.sha256(business_key.encode()).hexdigest()[:32]
    return f"<{digest}@{domain}>"


def _autoescape(name: str | None) -> bool:
    return name is not None and name.endswith((".html.j2", ".html"))


def build_environment(directory: Path = TEMPLATES_DIR) -> SandboxedEnvironment:
    """The sandboxed environment for mail templates (HTML autoescaped, undefined is an error)."""
    env = SandboxedEnvironment(
        loader=FileSystemLoader(directory),
        autoescape=_autoescape,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    # In the `time_zone` of the rendering context (the platform's), Paris without one.
    filters: dict[str, Callable[..., str]] = {
        "date_fr": _date_filter,
        "datetime_fr": _datetime_filter,
    }
    env.filters.update(filters)
    return env


class Mailer:
    """Renders and sends notification e-mails; built once with the SMTP settings."""

    def __init__(self, smtp: SmtpSettings, templates: Path = TEMPLATES_DIR) -> None:
        self.smtp = smtp
        self.env = build_environment(templates)

    def has_template(self, name: str) -> bool:
        """True when both the text and the HTML template exist."""
        try:
            self.env.get_template(f"{name}.txt.j2")
            self.env.get_template(f"{name}.html.j2")
        except TemplateNotFound:
            return False
        return True

    def render(self, kind: str, context: Mapping[str, Any]) -> RenderedMail:
        """Subject (the text template's `subject` block), text body and HTML body."""
        text_template = self.env.get_template(f"{kind}.txt.j2")
        subject_block = text_template.blocks["subject"]
        raw = "".join(subject_block(text_template.new_context(dict(context))))
        subject = " ".join(raw.split())
        full = {**context, "subject": subject}
        text = text_template.render(full)
        html = self.env.get_template(f"{kind}.html.j2").render(full)
        return RenderedMail(subject=subject, text=text, html=html)

    def message(
        self,
        mail: RenderedMail,
        *,
        to: Sequence[str],
        message_id: str,
        reply_to: str | None = None,
    ) -> EmailMessage:
        """A multipart/alternative message (text, then HTML) from the configured sender."""
        message = EmailMessage()
        message["From"] = self.smtp.sender
        message["To"] = ", ".join(to)
        message["Subject"] = mail.subject
        message["Date"] = format_datetime(utcnow())
        message["Message-ID"] = message_id
        message["Auto-Submitted"] = "auto-generated"
        if reply_to:
            message["Reply-To"] = reply_to
        message.set_content(mail.text)
        message.add_alternative(mail.html, subtype="html")
        # After the body: set_content() drops every Content-* header set before it.
        message["Content-Language"] = "fr"
        return message

    async def send(self, message: EmailMessage) -> dict[str, int]:
        """Send; return the recipients refused while others were accepted (address -> code).

        Raises PermanentSmtpError or TemporarySmtpError when nothing was delivered.
        """
        async with self.connection() as smtp:
            return await smtp.send(message)

    @contextlib.asynccontextmanager
    async def connection(self) -> AsyncIterator[SmtpConnection]:
        """An open, logged-in SMTP session; QUIT happens on leaving, its failures ignored.

        The caller records a message accepted before leaving, so that the QUIT round trip is
        not part of the moment between the server's acceptance and that record.
        """
        client = aiosmtplib.SMTP(
            hostname=self.smtp.host,
            port=self.smtp.port,
            username=self.smtp.username,
            password=self.smtp.password,
            start_tls=self.smtp.start_tls,
            timeout=self.smtp.timeout_seconds,
        )
        async with _classified():
            await client.connect()  # and the login, when a username is set
        try:
            yield SmtpConnection(client, self.smtp.send_timeout_seconds)
        finally:
            await _quit(client)


class SmtpConnection:
    """One SMTP session: each `send` is one MAIL/RCPT/DATA transaction."""

    def __init__(self, client: aiosmtplib.SMTP, timeout_seconds: float) -> None:
        self.client = client
        self.timeout_seconds = timeout_seconds

    async def send(self, message: EmailMessage) -> dict[str, int]:
        """Return once the server accepted the message (its reply to DATA), with the refused
        recipients (address -> code); raise PermanentSmtpError or TemporarySmtpError.

        A timeout here may come after the server took the message: it waits long (RFC 5321).
        """
        async with _classified():
            refused, _ = await self.client.send_message(message, timeout=self.timeout_seconds)
        return {address: response.code for address, response in refused.items()}


@contextlib.asynccontextmanager
async def _classified() -> AsyncIterator[None]:
    """SMTP and network failures as our three kinds (reasons without any address)."""
    try:
        yield
    except aiosmtplib.SMTPException as exc:
        raise classify(exc) from None
    except OSError as exc:  # refused connection, unreachable host, DNS, timeout
        raise TemporarySmtpError(f"connexion impossible ({type(exc).__name__})") from None


async def _quit(client: aiosmtplib.SMTP) -> None:
    """Say goodbye if the session is still open; the message's fate is already decided."""
    if not client.is_connected:
        return
    try:
        await client.quit()
    except (aiosmtplib.SMTPException, OSError):
        client.close()


_CONNECTION_ERRORS = (
    aiosmtplib.SMTPConnectError,
    aiosmtplib.SMTPServerDisconnected,
    aiosmtplib.SMTPTimeoutError,
)


def classify(exc: aiosmtplib.SMTPException) -> SmtpError:
    """Permanent for a 5xx reply, temporary for anything else."""
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        codes = [r.code for r in exc.recipients]
        replies = "; ".join(f"{r.code} {r.message}" for r in exc.recipients)
        reason = mask_addresses(f"destinataire refusé : {replies}")
        permanent = bool(codes) and all(500 <= c < 600 for c in codes)
        return PermanentSmtpError(reason) if permanent else TemporarySmtpError(reason)
    if isinstance(exc, _CONNECTION_ERRORS):
        return TemporarySmtpError(f"connexion impossible ({type(exc).__name__})")
    if isinstance(exc, aiosmtplib.SMTPAuthenticationError):
        # Wrong credentials are our configuration, not the message: delivered again later.
        return SmtpCredentialsRefused(f"authentification SMTP refusée ({exc.code})")
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        reason = mask_addresses(f"{exc.code} {exc.message}")
        return PermanentSmtpError(reason) if 500 <= exc.code < 600 else TemporarySmtpError(reason)
    return TemporarySmtpError(mask_addresses(f"{type(exc).__name__}: {exc}"))
