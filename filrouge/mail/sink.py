"""A real SMTP server for development and tests: keeps every message, never relays.

Each message is written as an `.eml` file (open it with any mail reader) and kept in memory.
Some addresses can be refused at RCPT, for good (550) or for now (451), and a login can be
required (AUTH PLAIN/LOGIN without TLS, loopback only), to exercise the mailer's failure
handling. Run alone with `python -m filrouge.mail.sink`.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import signal
import threading
import warnings
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from types import TracebackType
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from filrouge.settings import DATA_DIR

PERMANENT_REFUSAL = "550 5.1.1 Mailbox unavailable"
TEMPORARY_REFUSAL = "451 4.3.0 Mailbox temporarily unavailable, try again later"


@dataclass(frozen=True)
class ReceivedMail:
    """One accepted message: the SMTP envelope, the parsed message and its file."""

    envelope_from: str
    envelope_to: list[str]
    message: EmailMessage
    path: Path
    received_at: datetime = field(default_factory=lambda: datetime.now(UTC))


class _Handler:
    """aiosmtpd handler: refusals at RCPT, storage at DATA (runs in the server thread)."""

    def __init__(self, sink: MailSink) -> None:
        self.sink = sink

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        refusal = self.sink.refusal_for(address)
        if refusal is not None:
            return refusal
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content
        self.sink.store(envelope.mail_from, list(envelope.rcpt_tos), bytes(raw))
        return "250 Message accepted for delivery"


class _Controller(Controller):
    """Controller that supports port 0: it learns the port the OS picked before probing it."""

    def _trigger_server(self) -> None:
        if self.port == 0 and isinstance(self.server, asyncio.Server):
            self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


class MailSink:
    """SMTP server on host:port (port 0 picks a free one, see `.port` after `start()`)."""

    def __init__(
        self,
        directory: Path | str = DATA_DIR / "mail",
        host: str = "127.0.0.1",
        port: int = 1025,
        reject_permanent: set[str] | None = None,
        reject_temporary: set[str] | None = None,
        credentials: tuple[str, str] | None = None,
    ) -> None:
        self.directory = Path(directory)
        self.host = host
        self.port = port
        # Lower-cased addresses; tests may change these sets while the server runs.
        self.reject_permanent = {a.lower() for a in reject_permanent or set()}
        self.reject_temporary = {a.lower() for a in reject_temporary or set()}
        # (user, password) the server requires before MAIL FROM; None: no login.
        self.credentials = credentials
        self._messages: list[ReceivedMail] = []
        self._received = 0
        self._changed = threading.Condition()
        self._controller: _Controller | None = None

    @property
    def messages(self) -> list[ReceivedMail]:
        """A copy of the messages received so far, oldest first."""
        with self._changed:
            return list(self._messages)

    def start(self) -> None:
        """Start serving in a background thread; returns once the server answers."""
        self.directory.mkdir(parents=True, exist_ok=True)
        auth: dict[str, Any] = {}
        if self.credentials is not None:
            # Loopback test server: a login without TLS is what we want to exercise.
            warnings.filterwarnings("ignore", "Requiring AUTH while not requiring TLS")
            auth = {
                "authenticator": self._authenticate,
                "auth_required": True,
                "auth_require_tls": False,
            }
        controller = _Controller(_Handler(self), hostname=self.host, port=self.port, **auth)
        controller.start()
        self._controller, self.port = controller, controller.port

    def stop(self) -> None:
        """Stop serving (messages and files are kept)."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> MailSink:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def _authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        """Accept only the configured login (tests may change `credentials` while running)."""
        ok = (
            isinstance(auth_data, LoginPassword)
            and self.credentials is not None
            and (auth_data.login.decode(), auth_data.password.decode()) == self.credentials
        )
        return AuthResult(success=ok, handled=False)

    def refusal_for(self, address: str) -> str | None:
        """The SMTP reply refusing `address` at RCPT, or None to accept it."""
        if address.lower() in self.reject_permanent:
            return PERMANENT_REFUSAL
        if address.lower() in self.reject_temporary:
            return TEMPORARY_REFUSAL
        return None

    def store(self, mail_from: str, rcpt_tos: list[str], raw: bytes) -> ReceivedMail:
        """Write the message to an .eml file and keep it in memory."""
        message = BytesParser(policy=policy.default).parsebytes(raw)
        assert isinstance(message, EmailMessage)
        with self._changed:
            self._received += 1
            path = self.directory / _file_name(self._received, str(message.get("Subject", "")))
            trace = f"Return-Path: <{mail_from}>\r\nDelivered-To: {', '.join(rcpt_tos)}\r\n"
            path.write_bytes(trace.encode() + raw)
            received = ReceivedMail(mail_from, rcpt_tos, message, path)
            self._messages.append(received)
            self._changed.notify_all()
        return received

    def wait_for(self, count: int, timeout: float = 5.0) -> list[ReceivedMail]:
        """Block until at least `count` messages arrived; raise TimeoutError otherwise."""
        with self._changed:
            if not self._changed.wait_for(lambda: len(self._messages) >= count, timeout):
                raise TimeoutError(f"{len(self._messages)} message(s) reçu(s), {count} attendu(s)")
            return list(self._messages)

    def clear(self) -> None:
        """Forget the messages kept in memory (files stay on disk)."""
        with self._changed:
            self._messages.clear()


def _file_name(number: int, subject: str) -> str:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    slug = re.sub(r"[^\w-]+", "-", subject, flags=re.UNICODE).strip("-")[:60] or "sans-objet"
    return f"{stamp}-{number:04d}-{slug}.eml"


def main() -> None:
    """Serve on 127.0.0.1:1025 into data/mail until Ctrl-C."""
    parser = argparse.ArgumentParser(description="Puits SMTP de développement")
    parser.add_argument("--host", default="127.0.0.1", help="adresse d'écoute")
    parser.add_argument("--port", type=int, default=1025, help="port d'écoute")
    parser.add_argument(
        "--directory", type=Path, default=DATA_DIR / "mail", help="dossier des fichiers .eml"
    )
    args = parser.parse_args()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with MailSink(args.directory, args.host, args.port) as sink:
        print(
            f"Puits SMTP sur {sink.host}:{sink.port}, messages dans {sink.directory}/", flush=True
        )
        try:
            stop.wait()
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
