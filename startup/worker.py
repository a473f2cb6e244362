"""The Temporal worker: registers the workflows and the activities with their dependencies."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client
from temporalio.worker import PollerBehaviorAutoscaling, Worker

from activities.cases import CaseActivities
from activities.digest import DigestActivities
from activities.intake import IntakeActivities
from activities.mail import MailActivities
from activities.retention import RetentionActivities
from filrouge.settings import SmtpSettings
from workflows.case import CaseWorkflow
from workflows.digest import PilotDigestWorkflow
from workflows.intake import ImportWorkflow
from workflows.retention import PurgeWorkflow

# The first task of every new workflow is on the shared (non-sticky) queue, which the default
# fixed pollers serve with a single poll: a list import then starts cases faster than that one
# poller runs them. Pollers scaled on the server's feedback keep up.
WORKFLOW_TASK_POLLERS = PollerBehaviorAutoscaling()


def build_worker(
    client: Client,
    task_queue: str,
    sessions: async_sessionmaker[AsyncSession],
    smtp: SmtpSettings,
    public_url: str,
    **options: object,
) -> Worker:
    """A worker for the case and import workflows and all their activities."""
    cases = CaseActivities(sessions)
    mail = MailActivities(sessions, smtp, public_url)
    intake = IntakeActivities(sessions, smtp, public_url)
    retention = RetentionActivities(sessions, client)
    digests = DigestActivities(sessions, smtp)
    return Worker(
        client,
        task_queue=task_queue,
        workflows=[CaseWorkflow, ImportWorkflow, PurgeWorkflow, PilotDigestWorkflow],
        activities=[
            cases.record_case_events,
            cases.choose_referent,
            mail.send_notification,
            mail.record_undelivered,
            intake.stage_import,
            intake.process_import_batch,
            intake.finish_import,
            intake.send_import_summary,
            retention.find_expired_cases,
            retention.erase_personal_data,
            retention.purge_import_files,
            retention.expire_duplicate_reviews,
            digests.plan_pilot_digests,
            digests.send_pilot_digest,
        ],
        workflow_task_poller_behavior=WORKFLOW_TASK_POLLERS,
        **options,  # type: ignore[arg-type]
    )
