"""Wait for mail in the loopback SMTP sink."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from email.message import EmailMessage

from filrouge.mail.sink import MailSink
from tests.support.waiting import eventually


@contextmanager
def temporary_sink(prefix: str) -> Iterator[MailSink]:
    """A running SMTP sink on loopback whose mails live in a temporary directory, removed
    with everything in it once the sink has stopped."""
    with (
        tempfile.TemporaryDirectory(prefix=prefix) as directory,
        MailSink(directory, port=0) as sink,
    ):
        yield sink


def delivered(sink: MailSink, to: str = "", subject: str = "") -> list[EmailMessage]:
    """The messages received so far for `to` whose subject contains `subject`."""
    return [
        m.message
        for m in sink.messages
        if (not to or to in m.envelope_to) and subject in str(m.message["Subject"] or "")
    ]


async def mails_for(
    sink: MailSink,
    to: str = "",
    subject: str = "",
    count: int = 1,
    within: float = 20.0,
    also: Callable[[EmailMessage], bool] = lambda _: True,
) -> list[EmailMessage]:
    """Wait until at least `count` messages match; returns every match at that moment."""

    async def matching() -> list[EmailMessage]:
        found = [m for m in delivered(sink, to, subject) if also(m)]
        return found if len(found) >= count else []

    try:
        return await eventually(matching, within)
    except AssertionError:
        got = [str(m.message["Subject"]) for m in sink.messages]
        raise AssertionError(
            f"{count} mail(s) to {to!r} ~ {subject!r} expected, got {got}"
        ) from None


async def mail_for(
    sink: MailSink, to: str, subject: str = "", within: float = 20.0
) -> EmailMessage:
    """The first message delivered to `to` (waiting for it)."""
    return (await mails_for(sink, to, subject, 1, within))[0]
