"""Mails not delivered, for a platform's coordinators: the list, and a new try on request.

A mail held back by an outage (`undelivered`) is sent again by its case workflow every few
hours; a coordinator's retry only asks the workflow to try now. A mail refused for good by
the recipient's server (`failed`) is listed too, but sending it again would fail the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from filrouge.core.caller import Caller
from filrouge.core.cases.contracts import case_workflow_id
from filrouge.core.domain import OutboxStatus
from filrouge.core.errors import Conflict, NotFound
from filrouge.store.outbox import OutboxRepository
from workflows.case import CaseWorkflow

STATUS_LABELS = {
    OutboxStatus.UNDELIVERED: "non remis (serveur de messagerie indisponible), nouvel essai "
    "automatique",
    OutboxStatus.FAILED: "refusé par le serveur du destinataire",
}


@dataclass(frozen=True)
class UndeliveredMail:
    id: int
    case_id: str
    kind: str
    recipient_role: str
    subject: str
    status: str
    status_label: str
    attempts: int
    last_error: str | None
    created_at: datetime


async def list_undelivered(session: AsyncSession, caller: Caller) -> list[UndeliveredMail]:
    """The caller's platform's mails not delivered, oldest first."""
    rows = await OutboxRepository(session).not_delivered(_platform(caller))
    return [
        UndeliveredMail(
            id=row.id,
            case_id=row.case_id,
            kind=row.kind,
            recipient_role=row.recipient_role,
            subject=row.subject,
            status=row.status,
            status_label=STATUS_LABELS.get(OutboxStatus(row.status), row.status),
            attempts=row.attempts,
            last_error=row.last_error,
            created_at=row.created_at,
        )
        for row in rows
    ]


async def retry_undelivered(
    session: AsyncSession, client: Client, caller: Caller, mail_id: int
) -> str:
    """Ask the mail's case workflow to send its undelivered mails now; returns its case id."""
    row = await OutboxRepository(session).of_platform(_platform(caller), mail_id)
    if row is None:
        raise NotFound("Courriel introuvable.")
    if row.status != OutboxStatus.UNDELIVERED:
        raise Conflict(_why_not(row.status))
    handle = client.get_workflow_handle_for(CaseWorkflow.run, case_workflow_id(row.case_id))
    try:
        await handle.signal(CaseWorkflow.retry_mails)
    except RPCError as exc:
        if exc.status != RPCStatusCode.NOT_FOUND:
            raise
        message = "Le dossier n'est plus suivi : ce courriel ne sera pas envoyé."
        raise Conflict(message) from None
    return row.case_id


def _platform(caller: Caller) -> str:
    if caller.platform_id is None:
        raise NotFound("Courriel introuvable.")
    return caller.platform_id


def _why_not(status: str) -> str:
    if status == OutboxStatus.FAILED:
        return (
            "Ce courriel a été refusé par le serveur du destinataire : un nouvel envoi "
            "échouerait de la même façon. Vérifiez l'adresse du destinataire."
        )
    return "Ce courriel a déjà été envoyé ou est en cours d'envoi."
