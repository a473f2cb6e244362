"""The one case-creation pipeline, whatever the door (POST /cases, referrals, pages).

Validation (the same checks as a list row, minimum age 16), then placement
(`filrouge.services.cases.placement`: deduplication by INE and by name and birth date,
territory routing, least-loaded référent, the case row), then the launch of its workflow
(`filrouge.services.cases.launch`). Bulk imports run the same validation and placement,
batched (`activities/intake.py`).
"""

from __future__ import annotations

import hashlib
import json
import secrets
import uuid
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError

from filrouge.core.caller import Caller
from filrouge.core.cases.contracts import case_workflow_id
from filrouge.core.cases.steps import ReidentifyInput
from filrouge.core.clock import utcnow
from filrouge.core.domain import RowStatus, Source, TimerPolicy
from filrouge.core.durations import age_on
from filrouge.core.errors import Invalid, NotFound, Unavailable
from filrouge.core.identity import LABELS
from filrouge.intake.validate import MINIMUM_AGE, RejectedRow, validate_row
from filrouge.services.cases.launch import Reidentification, reidentify_cases, start_cases
from filrouge.services.cases.placement import (
    CREATED,
    DUPLICATE_REVIEW,
    ENDED_CASE_REASON,
    REIDENTIFIED,
    TO_ROUTE,
    Candidate,
    Placed,
    Placer,
    opaque_id,
    start_input_from_case,
)
from filrouge.store.creation_requests import CreationRequestRepository
from filrouge.store.engine import transaction
from filrouge.store.erasure import ErasureRepository
from filrouge.store.intake_repository import DuplicateReviewRepository
from filrouge.store.models import Case, CreationRequest
from filrouge.store.repositories import CaseRepository, ReferenceRepository
from workflows.case import CaseWorkflow

# A list row's refusal names its column by the identity field's French label.
_FIELD_OF_LABEL = {label: name for name, label in LABELS.items()}
UNDER_AGE = "Le jeune a moins de 16 ans à la date de repérage : il ne peut être suivi."
ENGINE_DOWN = "Le moteur de parcours est momentanément indisponible."
OTHER_BODY = (
    "Cette clé d'idempotence (Idempotency-Key) a déjà servi pour une autre demande : "
    "utilisez une nouvelle clé pour un autre signalement."
)


@dataclass(frozen=True)
class Identification:
    """A young person reported through a door: identity fields as sent, and how."""

    person: dict[str, Any]
    source: Source
    identified_on: date | None = None
    convocation_consent: bool = False
    # The platform the caller names (POST /cases); None: the caller's own, to route by hand.
    platform_id: str | None = None


def identified_at_of(day: date) -> datetime:
    """Today's identification is now; an earlier one is that day at 8:00 UTC."""
    now = utcnow()
    return now if day == now.date() else datetime.combine(day, time(8, 0), tzinfo=UTC)


def identification_day(identified_on: date | None) -> date:
    """The identification date (today by default); never in the future."""
    today = utcnow().date()
    day = identified_on or today
    if day > today:
        message = "La date de repérage ne peut pas être dans le futur."
        raise Invalid(message, fields={"identified_on": message})
    return day


def validated_identity(
    person: dict[str, Any],
    day: date,
    address_required: bool,
    refusal: str = "Signalement refusé",
) -> dict[str, Any]:
    """The same checks as a list row (minimum age 16 included); each fault named in French."""
    birth = person.get("birth_date")
    if isinstance(birth, date) and birth <= day and age_on(birth, day) < MINIMUM_AGE:
        raise Invalid(UNDER_AGE, fields={"birth_date": UNDER_AGE})
    result = validate_row(person, 0, day, address_required=address_required)
    if isinstance(result, RejectedRow):
        details = "; ".join(f"{e.column} : {e.message}" for e in result.errors)
        by_field = {_FIELD_OF_LABEL.get(e.column, e.column): e.message for e in result.errors}
        raise Invalid(f"{refusal} : {details}.", fields=by_field)
    return result.identity_fields()


@dataclass
class CaseCreation:
    """Creates cases and tells known ones; built once per application with its clients."""

    sessions: async_sessionmaker[AsyncSession]
    temporal: Client
    task_queue: str
    search_attributes: bool = True

    async def identify(self, caller: Caller, given: Identification, key: str | None) -> Placed:
        """Validate, place (dedup, routing, référent) and launch one identification."""
        own = caller.platform_id
        if own is None or (given.platform_id is not None and given.platform_id != own):
            raise NotFound("Plateforme introuvable.")
        day = identification_day(given.identified_on)
        named = given.platform_id is not None
        candidate = Candidate(
            key=f"{caller.id}|{key}" if named and key else _referral_key(caller, key),
            identity=validated_identity(given.person, day, address_required=not named),
            source=given.source,
            identified_at=identified_at_of(day),
            actor=caller.actor,
            fallback_platform_id=own,
            convocation_consent=given.convocation_consent,
            assign_unrouted=named,
        )
        if named:
            await self._check_platform(own)
        request = RequestPrint.of(candidate.key, caller, given) if key else None
        placed = await self.replayed(candidate, request) or await self._place_once(
            candidate, request
        )
        if not placed.erased:  # an erased case is never started nor told again
            update_id = f"referral-{opaque_id('', candidate.key)}"
            placed = await self.launch(placed, candidate, update_id, request)
        return placed

    async def _place_once(self, candidate: Candidate, request: RequestPrint | None) -> Placed:
        """Place; when the same keyed request was placed at the same moment, its answer."""
        try:
            return await self.place(candidate, request=request)
        except IntegrityError:
            placed = await self.replayed(candidate, request) if request else None
            if placed is None:
                raise
            return placed

    async def _check_platform(self, platform_id: str) -> None:
        async with transaction(self.sessions) as session:
            if await ReferenceRepository(session).platform(platform_id) is None:
                raise NotFound("Plateforme introuvable.")

    async def replayed(
        self, candidate: Candidate, request: RequestPrint | None = None
    ) -> Placed | None:
        """The first answer to a replayed request (same caller, same Idempotency-Key).

        Invalid when the key came with another body; `erased` when its case is erased since.
        """
        placed: Placed | None
        async with transaction(self.sessions) as session:
            known = await CreationRequestRepository(session).get(request.id) if request else None
            if known is not None:
                assert request is not None
                if known.fingerprint and not request.matches(known):
                    raise Invalid(OTHER_BODY)
                placed = Placed(
                    RowStatus(known.status),
                    known.platform_id,
                    known.case_id,
                    known.review_id,
                    replayed=True,
                )
            else:  # a request answered before requests were recorded
                placed = await _legacy_replay(session, candidate)
            if placed is not None and placed.case_id:
                placed.erased = await ErasureRepository(session).is_erased(placed.case_id)
        return placed

    async def place(
        self, candidate: Candidate, *, force_new: bool = False, request: RequestPrint | None = None
    ) -> Placed:
        """Decide and write the candidate's fate (and the request's answer) in one transaction."""
        async with transaction(self.sessions) as session:
            placer = Placer(session)
            await placer.load([candidate])
            placed = placer.place(candidate, force_new=force_new)
            await placer.flush()
            if request is not None:
                CreationRequestRepository(session).add(request.record(placed))
        return placed

    async def launch(
        self,
        placed: Placed,
        candidate: Candidate,
        update_id: str,
        request: RequestPrint | None = None,
    ) -> Placed:
        """Start the new case's workflow, or tell the known case (idempotent either way).

        A known case whose workflow has ended cannot be told: the young person gets a new
        case (with `ENDED_CASE_REASON`), instead of an error retried forever.
        """
        try:
            if placed.status in (CREATED, TO_ROUTE) and placed.case_id:
                await self._start(placed, candidate)
            elif placed.status == REIDENTIFIED and placed.case_id:
                step = ReidentifyInput(candidate.actor, candidate.source, candidate.identified_at)
                item = Reidentification(placed.case_id, step, update_id)
                if await reidentify_cases(self.temporal, [item], concurrency=1):
                    placed = await self._renew(candidate, request)
                    await self._start(placed, candidate)
        except (RPCError, WorkflowUpdateFailedError) as exc:
            raise Unavailable(ENGINE_DOWN) from exc
        return placed

    async def _renew(self, candidate: Candidate, request: RequestPrint | None) -> Placed:
        """A new case for a young person whose known case has ended (once per request)."""
        async with transaction(self.sessions) as session:
            case = await CaseRepository(session).get(opaque_id("c", candidate.key))
            if case is not None:  # a replay: the new case was opened the first time
                status = CREATED if case.referent_id else TO_ROUTE
                placed = Placed(status, case.platform_id, case.id)
            else:
                placer = Placer(session)
                await placer.load([candidate])
                placed = placer.place(candidate, force_new=True)
                await placer.flush()
            known = await CreationRequestRepository(session).get(request.id) if request else None
            if known is not None:
                known.status, known.case_id = placed.status, placed.case_id
        placed.reason = ENDED_CASE_REASON
        return placed

    async def _start(self, placed: Placed, candidate: Candidate) -> None:
        async with transaction(self.sessions) as session:
            case = await CaseRepository(session).get(placed.case_id or "")
            platform = await ReferenceRepository(session).platform(placed.platform_id)
        assert case is not None
        policy = TimerPolicy.from_dict(platform.policy if platform else {})
        start = start_input_from_case(case, candidate.actor, policy)
        try:
            await start_cases(
                self.temporal,
                self.task_queue,
                [start],
                search_attributes=self.search_attributes,
                concurrency=1,
            )
        except WorkflowAlreadyStartedError:
            return  # its workflow ran and ended (a replay): never start it again
        # Answer once the workflow holds the case: a step sent right after is never refused
        # as "en cours de création", nor a re-identification that follows at once.
        handle = self.temporal.get_workflow_handle_for(CaseWorkflow.run, case_workflow_id(case.id))
        await handle.execute_update(CaseWorkflow.ready, id=f"ready-{case.id}")

    async def has_active_referent(self, case_id: str) -> bool:
        """Whether an active référent follows the case (the one told of a re-identification)."""
        async with transaction(self.sessions) as session:
            case = await CaseRepository(session).get(case_id)
            if case is None or case.referent_id is None:
                return False
            referent = await ReferenceRepository(session).user(case.referent_id)
            return referent is not None and referent.active

    async def case(self, case_id: str) -> Case | None:
        """The case row a placement wrote or found."""
        async with transaction(self.sessions) as session:
            return await CaseRepository(session).get(case_id)


def _referral_key(caller: Caller, key: str | None) -> str:
    return f"referral|{caller.id}|{key or uuid.uuid4().hex}"


@dataclass(frozen=True)
class RequestPrint:
    """A keyed request: its record id and what its body was (salted digest)."""

    id: str
    caller_id: str
    body: str

    @classmethod
    def of(cls, candidate_key: str, caller: Caller, given: Identification) -> RequestPrint:
        body = json.dumps(asdict(given), sort_keys=True, default=str)
        return cls(opaque_id("r", candidate_key), caller.id, body)

    def digest(self, salt: str) -> str:
        return hashlib.sha256(f"{salt}|{self.body}".encode()).hexdigest()

    def matches(self, known: CreationRequest) -> bool:
        """The same body as the recorded request."""
        return secrets.compare_digest(self.digest(known.salt), known.fingerprint)

    def record(self, placed: Placed) -> CreationRequest:
        """What this request became, for its replays."""
        salt = secrets.token_hex(16)
        return CreationRequest(
            id=self.id,
            caller_id=self.caller_id,
            salt=salt,
            fingerprint=self.digest(salt),
            status=placed.status,
            platform_id=placed.platform_id,
            case_id=placed.case_id,
            review_id=placed.review_id,
            created_at=utcnow(),
        )


async def _legacy_replay(session: AsyncSession, candidate: Candidate) -> Placed | None:
    case = await CaseRepository(session).get(opaque_id("c", candidate.key))
    if case is not None:
        status = CREATED if case.referent_id else TO_ROUTE
        return Placed(status, case.platform_id, case.id, replayed=True)
    review = await DuplicateReviewRepository(session).get(opaque_id("d", candidate.key))
    if review is not None:
        return Placed(DUPLICATE_REVIEW, review.platform_id, review_id=review.id, replayed=True)
    return None
