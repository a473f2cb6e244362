"""Mails not delivered: listed to the platform's coordinators only, tried again on request.

The rows come from the real mail activities: one notification sent to an SMTP port where
nothing listens and given up (`record_undelivered`, as the case workflow does after its
delivery window), another one sent for real to the module's SMTP sink.
"""

from __future__ import annotations

import socket
from datetime import UTC, datetime

from sqlalchemy import select
from temporalio.api.enums.v1 import EventType
from temporalio.testing import ActivityEnvironment, WorkflowEnvironment

from activities.mail import MailActivities
from filrouge.core.cases.contracts import (
    RecordUndeliveredInput,
    SendNotificationInput,
    case_workflow_id,
)
from filrouge.core.domain import Recipient
from filrouge.mail.sink import MailSink
from filrouge.settings import SmtpSettings
from filrouge.store.models import OutboxMessage
from tests.api.conftest import Api, Team
from workflows.case import CaseWorkflow


def closed_port() -> int:
    """A loopback port where no SMTP server listens (connection refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def reminder(case_id: str, key: str) -> SendNotificationInput:
    at = datetime.now(UTC)
    return SendNotificationInput(case_id, "no_contact_reminder", Recipient.REFERENT, key, at)


async def undelivered_mail(api: Api, case_id: str) -> None:
    """A reminder the SMTP server never took, given up as the workflow does."""
    down = SmtpSettings(host="127.0.0.1", port=closed_port(), timeout_seconds=2)
    activities = MailActivities(api.sessions, down, "http://test")
    notification = reminder(case_id, "outage")
    try:
        await ActivityEnvironment().run(activities.send_notification, notification)
    except Exception as exc:  # the activity raises so that Temporal retries it
        assert "connexion impossible" in str(exc)
    given_up = RecordUndeliveredInput(notification, "délai d'envoi dépassé")
    await ActivityEnvironment().run(activities.record_undelivered, given_up)


async def sent_mail(api: Api, case_id: str, sink: MailSink) -> None:
    up = SmtpSettings(host="127.0.0.1", port=sink.port)
    activities = MailActivities(api.sessions, up, "http://test")
    result = await ActivityEnvironment().run(
        activities.send_notification, reminder(case_id, "sent")
    )
    assert result.status == "sent"


async def listed(api: Api, team: Team) -> list[dict[str, object]]:
    response = await api.http.get("/mails/undelivered", headers=team.coordinator.headers)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def test_coordinators_see_their_undelivered_mails_and_ask_for_a_new_try(
    api: Api, smtp_sink: MailSink, dev_env: WorkflowEnvironment
) -> None:
    team, other = await api.team(), await api.team()
    case = await api.create_case(team)
    await undelivered_mail(api, case["id"])
    await sent_mail(api, case["id"], smtp_sink)

    [mail] = await listed(api, team)
    assert await listed(api, other) == []
    assert (mail["case_id"], mail["kind"], mail["status"]) == (
        case["id"],
        "no_contact_reminder",
        "undelivered",
    )
    assert "connexion impossible" in str(mail["last_error"])
    assert "nouvel essai automatique" in str(mail["status_label"])
    assert "@" not in str(mail)  # no address in the list

    history = await api.http.get(f"/cases/{case['id']}/history", headers=team.coordinator.headers)
    [event] = [e for e in history.json() if e["kind"] == "email_undelivered"]
    assert event["data"]["label"].startswith("Courriel non remis")

    retry = await api.http.post(f"/mails/{mail['id']}/retry", headers=team.coordinator.headers)
    assert retry.status_code == 202, retry.text
    assert retry.json()["message"] == "Nouvel envoi demandé."
    # The retry reached the case workflow as a signal.
    workflow = dev_env.client.get_workflow_handle(case_workflow_id(case["id"]))
    events = [e async for e in workflow.fetch_history_events()]
    signals = [
        e.workflow_execution_signaled_event_attributes.signal_name
        for e in events
        if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED
    ]
    assert signals == [CaseWorkflow.retry_mails.__name__]


async def test_another_platform_or_role_cannot_see_or_retry_a_mail(api: Api) -> None:
    team, other = await api.team(), await api.team()
    case = await api.create_case(team)
    await undelivered_mail(api, case["id"])
    [mail] = await listed(api, team)
    path = f"/mails/{mail['id']}/retry"

    foreign = await api.http.post(path, headers=other.coordinator.headers)
    unknown = await api.http.post("/mails/987654321/retry", headers=team.coordinator.headers)
    referent = await api.http.post(path, headers=team.ml_referents[0].headers)
    referent_list = await api.http.get("/mails/undelivered", headers=team.partner.headers)

    assert (foreign.status_code, unknown.status_code) == (404, 404)
    assert foreign.json()["message"] == unknown.json()["message"] == "Courriel introuvable."
    assert referent.status_code == 403
    assert referent_list.status_code == 403


async def test_a_mail_already_sent_is_not_sent_again(api: Api, smtp_sink: MailSink) -> None:
    team = await api.team()
    case = await api.create_case(team)
    await sent_mail(api, case["id"], smtp_sink)
    async with api.sessions() as session:
        query = select(OutboxMessage.id).where(OutboxMessage.case_id == case["id"])
        mail_id = (await session.execute(query)).scalar_one()

    again = await api.http.post(f"/mails/{mail_id}/retry", headers=team.coordinator.headers)

    assert again.status_code == 409
    assert "déjà été envoyé" in again.json()["message"]
