"""Mails not delivered (SMTP outage, refusal), for the platform's coordinators."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel

from api.deps import CurrentUser, SessionDep, TemporalDep
from filrouge.services.mail.undelivered import list_undelivered, retry_undelivered

router = APIRouter(prefix="/mails", tags=["mails"])


class UndeliveredMailOut(BaseModel):
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


class MailRetryOut(BaseModel):
    id: int
    case_id: str
    message: str


@router.get("/undelivered", response_model=list[UndeliveredMailOut])
async def list_undelivered_mails(
    user: CurrentUser, session: SessionDep
) -> list[UndeliveredMailOut]:
    """The platform's notification mails not delivered, oldest first."""
    mails = await list_undelivered(session, user)
    return [UndeliveredMailOut.model_validate(m, from_attributes=True) for m in mails]


@router.post("/{mail_id}/retry", response_model=MailRetryOut, status_code=202)
async def retry_mail(
    mail_id: int, user: CurrentUser, session: SessionDep, temporal: TemporalDep
) -> MailRetryOut:
    """Send an undelivered mail now (once the mail server is back); sent at most once."""
    case_id = await retry_undelivered(session, temporal, user, mail_id)
    return MailRetryOut(id=mail_id, case_id=case_id, message="Nouvel envoi demandé.")
