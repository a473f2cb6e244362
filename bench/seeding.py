"""Data the benchmarks share: a platform's structures and référents, and bulk read-model cases."""

from __future__ import annotations

import random
import uuid
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from filrouge.core.cases.pathway import DeadlineKind
from filrouge.core.domain import Outcome, Role, Source, Stage, StructureKind
from filrouge.intake.synthetic import FIRST_NAMES_F, FIRST_NAMES_M, LAST_NAMES
from filrouge.intake.validate import normalized_name_key
from filrouge.services.reference.admin import NewStructure, NewUser, ReferenceService
from filrouge.store.models import Case, CaseIdentity, User

REFERENTS_PER_STRUCTURE = 3


async def seed_structures(
    service: ReferenceService,
    platform_id: str,
    mail_domain: str,
    referents_per_structure: int = REFERENTS_PER_STRUCTURE,
) -> None:
    """A Mission locale and an MLDS on the platform, each with its référents."""
    for kind in (StructureKind.MISSION_LOCALE, StructureKind.MLDS):
        structure = f"{platform_id}-{kind.value.replace('_', '-')}"
        await service.create_structure(
            NewStructure(id=structure, platform_id=platform_id, name=structure, kind=kind)
        )
        for n in range(referents_per_structure):
            await service.create_user(
                NewUser(
                    display_name=f"Référent {n + 1} {structure}",
                    email=f"referent{n + 1}.{structure}@{mail_domain}",
                    role=Role.REFERENT,
                    platform_id=platform_id,
                    structure_id=structure,
                )
            )


# A platform after a few years: most cases closed, the open ones spread over the pathway.
# Stage: (weight, the deadline the case waits for).
STAGE_MIX: dict[Stage, tuple[int, DeadlineKind]] = {
    Stage.A_ROUTER: (3, DeadlineKind.ROUTING_ESCALATION),
    Stage.CONTACT: (16, DeadlineKind.NO_CONTACT_REMINDER),
    Stage.INJOIGNABLE: (7, DeadlineKind.INACTIVITY_WARNING),
    Stage.BILAN: (6, DeadlineKind.INTERVIEW_UNRECORDED_REMINDER),
    Stage.PROPOSITION: (3, DeadlineKind.STUCK_ESCALATION),
    Stage.DECISION: (3, DeadlineKind.DECISION_ESCALATION),
    Stage.ENTREE: (3, DeadlineKind.ENTRY_UNCONFIRMED_REMINDER),
    Stage.SUIVI: (14, DeadlineKind.FOLLOW_UP_DUE),
    Stage.CLOTURE: (45, DeadlineKind.RETENTION_DUE),
}
OVERDUE_SHARE = 0.2  # of the open cases: a deadline fired and nothing done since
ESCALATED_SHARE = 0.4  # of the overdue cases: the coordinators were alerted and wait
INE_SHARE = 0.7  # of the young people: the others came without an INE (referrals)
CHUNK = 2000


async def seed_cases(
    session: AsyncSession,
    platform_id: str,
    referents: Sequence[User],
    count: int,
    now: datetime,
    seed: int = 2026,
) -> None:
    """`count` cases in the read model (and their identities), inserted in bulk: no workflow
    runs, which the pages never read. Assigned cases go to `referents` at random."""
    rng = random.Random(seed)
    stages = list(STAGE_MIX)
    weights = [STAGE_MIX[s][0] for s in stages]
    for start in range(0, count, CHUNK):
        cases, identities = [], []
        for n in range(start, min(count, start + CHUNK)):
            stage = rng.choices(stages, weights)[0]
            referent = None if stage == Stage.A_ROUTER else rng.choice(referents)
            case = _case(rng, n, platform_id, stage, referent, now)
            cases.append(case)
            identities.append(_identity(rng, n, case["id"], now.date()))
        await session.execute(insert(Case), cases)
        await session.execute(insert(CaseIdentity), identities)


def _case(
    rng: random.Random,
    n: int,
    platform_id: str,
    stage: Stage,
    referent: User | None,
    now: datetime,
) -> dict[str, Any]:
    identified = now - timedelta(days=rng.uniform(0, 1000))
    closed = stage == Stage.CLOTURE
    closed_at = identified + (now - identified) * rng.random() if closed else None
    overdue = not closed and rng.random() < OVERDUE_SHARE
    if closed_at is not None:
        deadline = closed_at + timedelta(days=730)
    elif overdue:
        deadline = now + timedelta(days=rng.uniform(1, 20))  # the escalation that follows
    else:
        deadline = now + timedelta(days=rng.uniform(0, 60))
    overdue_since = now - timedelta(days=rng.uniform(1, 30)) if overdue else None
    escalated = overdue_since is not None and rng.random() < ESCALATED_SHARE
    escalated_since = overdue_since + timedelta(days=1) if overdue_since and escalated else None
    return {
        "id": f"c{uuid.UUID(int=rng.getrandbits(128)).hex[:24]}",
        "platform_id": platform_id,
        "source": rng.choice(list(Source)).value,
        "identified_at": identified,
        "created_by": None,
        "stage": stage.value,
        "referent_id": referent.id if referent else None,
        "structure_id": referent.structure_id if referent else None,
        "stage_entered_at": identified,
        "next_deadline_kind": STAGE_MIX[stage][1].value,
        "next_deadline_at": deadline,
        "overdue_since": overdue_since,
        "escalated_since": escalated_since,
        "interview_at": now + timedelta(days=rng.uniform(-5, 10)) if stage == Stage.BILAN else None,
        "failed_attempts": rng.randint(0, 3) if stage == Stage.INJOIGNABLE else 0,
        "outcome": rng.choice(list(Outcome)).value if closed else None,
        "closed_at": closed_at,
        "state_version": 1,
        "audit_seq": 1,
        "audit_head": "",
        "updated_at": now,
    }


def _identity(rng: random.Random, n: int, case_id: str, today: date) -> dict[str, Any]:
    first = rng.choice(FIRST_NAMES_F if rng.random() < 0.5 else FIRST_NAMES_M)
    last = rng.choice(LAST_NAMES)
    birth = today - timedelta(days=rng.randint(16 * 365, 25 * 365))
    return {
        "case_id": case_id,
        "last_name": last,
        "first_name": first,
        "birth_date": birth,
        "ine": f"{n:010d}B" if rng.random() < INE_SHARE else None,
        "name_key": normalized_name_key(last, first, birth),
        "postal_code": "35000",
        "commune_insee": "35238",
        "commune_name": "Rennes",
        "phone": f"06{rng.randint(0, 99_999_999):08d}",
        "leaving_date": today - timedelta(days=rng.randint(30, 900)),
        "convocation_consent": False,
    }
