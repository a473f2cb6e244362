"""Where a newly identified young person goes: one set of rules for list imports and referrals.

Dedup first (an INE already known in the sender's platform: a re-identification of that
case; an INE known in another platform: a crossing notice for that platform's coordinators,
never a change to its case, and the sender is answered as for an unknown young person; no
INE but the same
normalised name and birth date in the same platform: a possible duplicate for its
coordinator, who can open every case offered), then routing (the platform of the address's
territory, else the uploader's platform, to route by hand), then the structure rule and the
least-loaded référent. New cases get their row, their identity,
their first audit events and their read model in the caller's transaction; their workflow
is started afterwards (filrouge.services.cases.launch), outside any transaction.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from filrouge.core.cases.contracts import snapshot_of
from filrouge.core.cases.pathway import CaseState
from filrouge.core.cases.transitions import identify
from filrouge.core.clock import utcnow
from filrouge.core.domain import (
    Actor,
    ReviewStatus,
    RowStatus,
    Source,
    Stage,
    StartCaseInput,
    TimerPolicy,
)
from filrouge.core.durations import age_on
from filrouge.core.identity import DATE_FIELDS
from filrouge.core.routing import TerritoryIndex, preferred_structure_kinds
from filrouge.intake.validate import normalized_name_key
from filrouge.store.audit_repository import AuditRepository, apply_snapshot
from filrouge.store.intake_repository import ExistingCase, MatchRepository, ReferentLoad
from filrouge.store.models import (
    AuditEvent,
    Case,
    CaseIdentity,
    CaseKey,
    CrossingNotice,
    DuplicateReview,
)
from filrouge.store.repositories import ReferenceRepository

CREATED, TO_ROUTE, REIDENTIFIED, DUPLICATE_REVIEW = (
    RowStatus.CREATED,
    RowStatus.TO_ROUTE,
    RowStatus.REIDENTIFIED,
    RowStatus.DUPLICATE_REVIEW,
)
# Why a known young person got a new case: their case's workflow has ended (retention reached
# before the nightly purge, or its history deleted), so no step can reach it any more.
ENDED_CASE_REASON = (
    "nouveau dossier : le dossier précédent de ce jeune est arrivé au terme de sa "
    "conservation et ne peut plus être rouvert"
)


def opaque_id(prefix: str, *parts: object) -> str:
    """A deterministic opaque id: the same inputs (an import row...) always give the same id."""
    digest = hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()
    return f"{prefix}{digest[:24]}"


def identity_to_json(identity: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, date) else v for k, v in identity.items()}


def identity_from_json(data: dict[str, Any]) -> dict[str, Any]:
    return {
        k: date.fromisoformat(v) if k in DATE_FIELDS and isinstance(v, str) else v
        for k, v in data.items()
    }


@dataclass
class Candidate:
    """A validated identity to place; `key` makes every id derived from it deterministic."""

    key: str
    identity: dict[str, Any]
    source: Source
    identified_at: datetime
    actor: Actor
    fallback_platform_id: str
    convocation_consent: bool = False
    import_id: str | None = None
    row_number: int | None = None
    # The caller named the platform (POST /cases): without a territory match, the case
    # still gets a référent there instead of waiting in the "to route" queue.
    assign_unrouted: bool = False

    @property
    def name_key(self) -> str:
        i = self.identity
        return normalized_name_key(i["last_name"], i["first_name"], i["birth_date"])


@dataclass
class Placed:
    """What became of a candidate."""

    status: RowStatus
    platform_id: str
    case_id: str | None = None
    review_id: str | None = None
    # The same request was answered before (same caller, same Idempotency-Key).
    replayed: bool = False
    # That earlier answer's case has been erased since: nothing is launched or written.
    erased: bool = False
    # Why it was placed so, when the status alone does not say (e.g. ENDED_CASE_REASON).
    reason: str | None = None


class ReferentPool:
    """The least-loaded référent per platform and structure kind, counted in memory."""

    def __init__(self, loads: list[ReferentLoad]) -> None:
        self.loads = {(r.platform_id, r.user_id): r.open_cases for r in loads}
        self.referents = loads

    def pick(self, platform_id: str, kinds: list[str]) -> tuple[str, str | None] | None:
        mine = [r for r in self.referents if r.platform_id == platform_id]
        preferred = [r for r in mine if r.structure_kind in kinds] or mine
        if not preferred:
            return None
        best = min(preferred, key=lambda r: (self.loads[(platform_id, r.user_id)], r.user_id))
        self.loads[(platform_id, best.user_id)] += 1
        return best.user_id, best.structure_id


@dataclass
class Placer:
    """Places candidates in one transaction; `load` first, with every candidate of the batch."""

    session: AsyncSession
    index: TerritoryIndex = field(default_factory=lambda: TerritoryIndex([]))
    policies: dict[str, TimerPolicy] = field(default_factory=dict)
    pool: ReferentPool = field(default_factory=lambda: ReferentPool([]))
    by_ine: dict[str, dict[str, ExistingCase]] = field(default_factory=dict)
    by_name: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    new_cases: list[Case] = field(default_factory=list)
    chain_rows: list[CaseKey | AuditEvent] = field(default_factory=list)
    notices: dict[str, CrossingNotice] = field(default_factory=dict)

    async def load(self, candidates: list[Candidate]) -> None:
        """One query each: territories, the policies and référent workloads of the platforms
        the batch goes to, INE matches, name matches.

        Only the policies of those platforms are read and parsed (not every platform's, per
        request); routing still sees every platform's territory.
        """
        refs = ReferenceRepository(self.session)
        territories = await refs.territories()
        self.index = TerritoryIndex.from_json((id, t) for id, _, t in territories)
        matches = MatchRepository(self.session)
        wanted = {self.route(c) or c.fallback_platform_id for c in candidates}
        stored = await refs.stored_policies(wanted)
        self.policies = {id: TimerPolicy.from_dict(policy) for id, policy in stored.items()}
        self.pool = ReferentPool(await matches.referent_loads(wanted))
        self.by_ine = await matches.by_ine(c.identity["ine"] for c in candidates if _ine(c))
        names = [c.name_key for c in candidates if not _ine(c)]
        self.by_name = await matches.by_name_key(names)

    async def flush(self) -> None:
        """Write the new cases, then their keys and audit rows (which reference them)."""
        self.session.add_all(self.new_cases)
        await self.session.flush()
        self.session.add_all(self.chain_rows)
        for notice in self.notices.values():
            if await self.session.get(CrossingNotice, notice.id) is None:
                self.session.add(notice)
        await self.session.flush()
        self.new_cases, self.chain_rows, self.notices = [], [], {}

    def route(self, candidate: Candidate) -> str | None:
        i = candidate.identity
        return self.index.route(i.get("commune_insee"), i.get("postal_code"))

    def place(self, candidate: Candidate, *, force_new: bool = False) -> Placed:
        """Decide and write (cases, identities, audit events, reviews) in the session.

        `force_new`: a coordinator decided it is not a duplicate (dedup is skipped).
        """
        ine = _ine(candidate)
        own = candidate.fallback_platform_id
        routed = self.route(candidate)
        platform_id = routed or own
        if ine and not force_new:
            known = self.by_ine.get(ine, {})
            if own in known:
                return Placed(REIDENTIFIED, own, case_id=known[own].case_id)
            for other in known.values():  # another platform's young person: its review
                self._notice(candidate, other)
            if platform_id in known:
                # Routed to the platform that follows them: the same answer as a young person
                # routed there anew, and nothing more (its case is not the sender's to change).
                return Placed(CREATED, platform_id)
        same_name = self.by_name.get((platform_id, candidate.name_key))
        if not ine and same_name and not force_new:
            return self._review(candidate, platform_id, same_name)
        return self._create(candidate, platform_id, routed is not None)

    def _notice(self, candidate: Candidate, known: ExistingCase) -> None:
        notice_id = opaque_id("n", candidate.key, known.case_id)
        self.notices[notice_id] = CrossingNotice(
            id=notice_id,
            platform_id=known.platform_id,
            case_id=known.case_id,
            source=candidate.source.value,
            identified_at=candidate.identified_at,
            status="open",
            created_at=utcnow(),
        )

    def _review(self, candidate: Candidate, platform_id: str, matches: list[str]) -> Placed:
        review_id = opaque_id("d", candidate.key)
        self.session.add(
            DuplicateReview(
                id=review_id,
                platform_id=platform_id,
                import_id=candidate.import_id,
                row_number=candidate.row_number,
                source=candidate.source.value,
                identified_at=candidate.identified_at,
                created_by=candidate.actor.user_id,
                candidate_case_ids=list(matches),
                identity=identity_to_json(candidate.identity),
                status=ReviewStatus.OPEN,
                created_at=utcnow(),
            )
        )
        return Placed(DUPLICATE_REVIEW, platform_id, review_id=review_id)

    def _create(self, candidate: Candidate, platform_id: str, routed: bool) -> Placed:
        i, at = candidate.identity, candidate.identified_at
        left_recently = bool(i.get("leaving_date") and (at.date() - i["leaving_date"]).days < 365)
        kinds = preferred_structure_kinds(age_on(i["birth_date"], at.date()), left_recently)
        assign = routed or candidate.assign_unrouted
        choice = self.pool.pick(platform_id, kinds) if assign else None
        case_id = opaque_id("c", candidate.key)
        start = self.start_input(candidate, case_id, platform_id, choice)
        state = CaseState.new(start)
        events = identify(state, start, at, start.referent_id, start.structure_id)
        case = _case_row(candidate, case_id, platform_id)
        case.identity = CaseIdentity(
            case_id=case_id,
            name_key=candidate.name_key,
            convocation_consent=candidate.convocation_consent,
            **i,
        )
        apply_snapshot(case, snapshot_of(state))
        self.chain_rows += AuditRepository(self.session).start_chain(case, events)
        self.new_cases.append(case)
        self.by_name.setdefault((platform_id, candidate.name_key), []).append(case_id)
        if _ine(candidate):
            known = ExistingCase(case_id, platform_id, case.stage)
            self.by_ine.setdefault(_ine(candidate) or "", {})[platform_id] = known
        return Placed(CREATED if choice else TO_ROUTE, platform_id, case_id=case_id)

    def start_input(
        self,
        candidate: Candidate,
        case_id: str,
        platform_id: str,
        choice: tuple[str, str | None] | None,
    ) -> StartCaseInput:
        i = candidate.identity
        return StartCaseInput(
            case_id=case_id,
            platform_id=platform_id,
            source=candidate.source,
            identified_at=candidate.identified_at,
            birth_date=i["birth_date"],
            leaving_date=i.get("leaving_date"),
            actor=candidate.actor,
            policy=self.policies.get(platform_id, TimerPolicy()),
            convocation_allowed=candidate.convocation_consent and bool(i.get("email")),
            referent_id=choice[0] if choice else None,
            structure_id=choice[1] if choice else None,
            initial_events_recorded=True,
        )


def _ine(candidate: Candidate) -> str | None:
    ine = candidate.identity.get("ine")
    return str(ine).upper() if ine else None


def _case_row(candidate: Candidate, case_id: str, platform_id: str) -> Case:
    return Case(
        id=case_id,
        platform_id=platform_id,
        source=candidate.source.value,
        identified_at=candidate.identified_at,
        created_by=candidate.actor.user_id,
        stage=Stage.A_ROUTER,
        state_version=-1,
        audit_seq=0,
        audit_head="",
        failed_attempts=0,
        updated_at=utcnow(),
    )


def start_input_from_case(
    case: Case, actor: Actor, policy: TimerPolicy, initial_events_recorded: bool = True
) -> StartCaseInput:
    """The workflow input of a case already written by `Placer` (used again after a crash)."""
    identity = case.identity
    assert identity is not None and identity.birth_date is not None
    return StartCaseInput(
        case_id=case.id,
        platform_id=case.platform_id,
        source=Source(case.source),
        identified_at=case.identified_at,
        birth_date=identity.birth_date,
        leaving_date=identity.leaving_date,
        actor=actor,
        policy=policy,
        convocation_allowed=identity.convocation_consent and bool(identity.email),
        referent_id=case.referent_id,
        structure_id=case.structure_id,
        initial_events_recorded=initial_events_recorded,
    )
