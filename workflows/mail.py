"""A case's notification mails, inside its workflow: sent in their window, or sent later.

A mail not delivered within its window (SMTP down, credentials refused) no longer fails the
case: it is recorded (outbox and case history) and tried again every few hours, or at once
when a coordinator asks, until it goes out. The outbox keys each mail, so it goes out once.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from filrouge.core.cases import contracts
    from filrouge.core.cases.contracts import RecordUndeliveredInput, SendNotificationInput
    from filrouge.core.retry import DB_RETRY, MAIL_RETRY, REDELIVERY_ATTEMPT, REDELIVERY_EVERY

# Before this patch a mail failing past its window failed the workflow (such a run is over).
MAIL_OUTAGE_PATCH = "mail-outage-v1"
MAIL_WINDOW = timedelta(days=2)


class Deliveries:
    """The mails of one workflow run, and those still to deliver (carried over a new run)."""

    def __init__(self) -> None:
        self.undelivered: list[SendNotificationInput] = []
        self.retry_now = False
        self._redelivery: asyncio.Task[None] | None = None

    async def notify(self, notification: SendNotificationInput) -> None:
        """Send one notification; one not delivered in its window is recorded and sent later."""
        try:
            await _send(notification, MAIL_WINDOW)
        except ActivityError as err:
            if not workflow.patched(MAIL_OUTAGE_PATCH):
                raise
            await workflow.execute_activity(
                contracts.record_undelivered,
                RecordUndeliveredInput(notification, _failure_reason(err)),
                start_to_close_timeout=timedelta(seconds=30),
                retry_policy=DB_RETRY,
            )
            self.later([notification])

    def later(self, notifications: list[SendNotificationInput]) -> None:
        """Deliver these notifications by the redelivery loop (started if needed)."""
        self.undelivered.extend(notifications)
        if notifications and (self._redelivery is None or self._redelivery.done()):
            self._redelivery = asyncio.create_task(self._redeliver())

    async def _redeliver(self) -> None:
        """Try the undelivered notifications again every few hours until each has gone out."""
        while self.undelivered:
            try:
                await workflow.wait_condition(
                    lambda: self.retry_now,
                    timeout=REDELIVERY_EVERY,
                    timeout_summary="nouvel envoi des courriels",
                )
            except TimeoutError:
                pass
            self.retry_now = False
            for notification in list(self.undelivered):
                try:
                    await _send(notification, REDELIVERY_ATTEMPT)
                except ActivityError:
                    continue
                self.undelivered.remove(notification)


async def _send(notification: SendNotificationInput, window: timedelta) -> None:
    await workflow.execute_activity(
        contracts.send_notification,
        notification,
        start_to_close_timeout=timedelta(seconds=60),
        schedule_to_close_timeout=window,
        retry_policy=MAIL_RETRY,
    )


def _failure_reason(err: ActivityError) -> str:
    """Why a delivery gave up, without any address (the activity masks its own messages)."""
    if isinstance(err.cause, ApplicationError):
        return err.cause.message
    return "délai d'envoi dépassé"
