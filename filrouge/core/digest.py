"""The regional pilots' digest: cases stuck past their platform's delay, counted per platform.

A case stuck in a stage longer than its platform's `stuck_escalation` delay fires its
escalation (recorded in its history, `Rule.PILOT_DIGEST`); once a day the
`PilotDigestWorkflow` tells each Région's pilots, in one mail, how many cases of each of its
platforms became stuck since the previous digest and how many are stuck now. Counts only:
no case id, no name, no link (DOMAIN.md, « Personal data »). The contracts of its activities
are here (implemented in `activities/digest.py`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from temporalio import activity

PILOT_DIGEST_SCHEDULE_ID = "pilot-digest"
# The first digest of a Région looks back this far (later ones: since the previous one).
FIRST_DIGEST_LOOKBACK = timedelta(days=1)


def digest_key(region: str, period_end: datetime) -> str:
    """One digest per Région and period, ever (its Message-ID is derived from it)."""
    return f"pilot-digest|{region}|{period_end.isoformat()}"


@dataclass
class PlatformStuck:
    """One line of a digest: a platform of the Région and its counts."""

    platform_id: str
    platform_name: str
    newly_stuck: int
    stuck_now: int


def worth_sending(lines: list[PlatformStuck]) -> bool:
    """A digest goes out only when some case became stuck during its period."""
    return any(line.newly_stuck for line in lines)


@dataclass
class PilotDigestInput:
    """Empty: the digest runs at the workflow's own time (a field can be added compatibly)."""


@dataclass
class PilotDigestResult:
    sent: list[str] = field(default_factory=list)
    not_sent: list[str] = field(default_factory=list)


@dataclass
class PlanPilotDigestsInput:
    now: datetime


@dataclass
class PlanPilotDigestsResult:
    """The digests to send: those planned now and any earlier one not sent yet."""

    digest_ids: list[str] = field(default_factory=list)


@dataclass
class SendPilotDigestInput:
    digest_id: str


@activity.defn(name="plan_pilot_digests")
async def plan_pilot_digests(input: PlanPilotDigestsInput) -> PlanPilotDigestsResult:
    """Record (once) each Région's digest for the period ending at `input.now`."""
    raise NotImplementedError("registered by the worker")


@activity.defn(name="send_pilot_digest")
async def send_pilot_digest(input: SendPilotDigestInput) -> str:
    """Send one recorded digest to its Région's active pilots, once."""
    raise NotImplementedError("registered by the worker")
