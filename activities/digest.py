"""The regional pilots' daily digest: plan it (counts per platform, recorded once), send it once."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.delivery import deliver_once
from filrouge.core.clock import utcnow
from filrouge.core.digest import (
    FIRST_DIGEST_LOOKBACK,
    PlanPilotDigestsInput,
    PlanPilotDigestsResult,
    PlatformStuck,
    SendPilotDigestInput,
    digest_key,
    worth_sending,
)
from filrouge.core.domain import DeliveryStatus, OutboxStatus, Role, TimerPolicy
from filrouge.core.durations import parse_duration
from filrouge.mail.mailer import (
    Mailer,
    PermanentSmtpError,
    SmtpCredentialsRefused,
    TemporarySmtpError,
    message_id_for,
)
from filrouge.settings import SmtpSettings
from filrouge.store.digests import DigestRepository
from filrouge.store.engine import transaction
from filrouge.store.models import PilotDigest, Platform
from filrouge.store.repositories import ReferenceRepository

TEMPLATE = "pilot_digest"


class DigestActivities:
    """Built once in the worker with the session factory and the SMTP settings."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        smtp: SmtpSettings,
        mailer: Mailer | None = None,
    ) -> None:
        self.sessions = sessions
        self.smtp = smtp
        self.mailer = mailer or Mailer(smtp)

    @activity.defn(name="plan_pilot_digests")
    async def plan_pilot_digests(self, input: PlanPilotDigestsInput) -> PlanPilotDigestsResult:
        """Record each Région's digest for the period ending now, when a case became stuck."""
        async with transaction(self.sessions) as session:
            refs, digests = ReferenceRepository(session), DigestRepository(session)
            pilots = [u for u in await refs.users(role=Role.PILOTE) if u.active and u.region]
            platforms = await refs.platforms()
            for region in sorted({u.region for u in pilots if u.region}):
                since = await digests.last_period_end(region)
                since = since or input.now - FIRST_DIGEST_LOOKBACK
                if since >= input.now:
                    continue  # this period is already planned (a retried activity)
                ours = [p for p in platforms if p.region == region]
                lines = [await _line(digests, p, since, input.now) for p in ours]
                if worth_sending(lines):
                    await digests.add(self._digest(region, since, input.now, lines))
            return PlanPilotDigestsResult(await digests.unsent())

    @activity.defn(name="send_pilot_digest")
    async def send_pilot_digest(self, input: SendPilotDigestInput) -> str:
        """Send one recorded digest to its Région's active pilots, once (activities/delivery)."""
        async with transaction(self.sessions) as session:
            digest = await DigestRepository(session).get(input.digest_id)
            if digest is None:
                raise ApplicationError("digest missing", type="DigestMissing", non_retryable=True)
            if digest.status not in (OutboxStatus.PENDING, OutboxStatus.UNDELIVERED):
                return digest.status
            pilots = await ReferenceRepository(session).users(role=Role.PILOTE)
            to = sorted({u.email.strip() for u in pilots if u.active and u.region == digest.region})
            if not to:
                digest.status = OutboxStatus.FAILED
                digest.last_error = "aucun destinataire"
                return DeliveryStatus.NO_RECIPIENT
            mail = self.mailer.render(TEMPLATE, _context(digest))
            message = self.mailer.message(mail, to=to, message_id=digest.message_id)
            digest.attempts += 1

        async def record_sent(_refused: int) -> str:
            return await self._mark(input.digest_id, OutboxStatus.SENT)

        try:
            return await deliver_once(self.mailer, message, record_sent)
        except PermanentSmtpError as exc:
            return await self._mark(input.digest_id, OutboxStatus.FAILED, exc.reason)
        except (TemporarySmtpError, SmtpCredentialsRefused) as exc:
            reason = exc.reason
        await self._mark(input.digest_id, OutboxStatus.PENDING, reason)
        raise ApplicationError(f"Envoi différé : {reason}", type="TemporarySmtpError")

    def _digest(
        self, region: str, since: datetime, until: datetime, lines: list[PlatformStuck]
    ) -> PilotDigest:
        key = digest_key(region, until)
        return PilotDigest(
            id=key,
            region=region,
            period_start=since,
            period_end=until,
            counts=[asdict(line) for line in lines],
            message_id=message_id_for(key, self.smtp.sender),
            status=OutboxStatus.PENDING,
            attempts=0,
            created_at=utcnow(),
        )

    async def _mark(self, digest_id: str, status: OutboxStatus, reason: str = "") -> str:
        async with transaction(self.sessions) as session:
            digest = await DigestRepository(session).get(digest_id)
            assert digest is not None
            digest.status, digest.last_error = status, reason or None
            digest.sent_at = utcnow() if status == OutboxStatus.SENT else None
        if reason:
            activity.logger.warning("Pilot digest %s: %s", digest_id, reason)
        return status


async def _line(
    digests: DigestRepository, platform: Platform, since: datetime, until: datetime
) -> PlatformStuck:
    policy = TimerPolicy.from_dict(platform.policy or {})
    stuck_before = parse_duration(policy.stuck_escalation).before(until)
    return PlatformStuck(
        platform_id=platform.id,
        platform_name=platform.name,
        newly_stuck=await digests.newly_stuck(platform.id, since, until),
        stuck_now=await digests.stuck_now(platform.id, stuck_before),
    )


def _context(digest: PilotDigest) -> dict[str, object]:
    """Counts per platform of the Région, the period; no case, no link."""
    lines = [PlatformStuck(**line) for line in digest.counts]
    return {
        "platform_name": f"Région {digest.region}",  # the layout's header
        "region": digest.region,
        "since": digest.period_start,
        "until": digest.period_end,
        "lines": sorted(lines, key=lambda line: (-line.newly_stuck, line.platform_name)),
    }
