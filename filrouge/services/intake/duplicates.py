"""Possible duplicates: a coordinator merges them into a known case or keeps them apart."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.service import RPCError

from filrouge.core.caller import Caller
from filrouge.core.cases.steps import ReidentifyInput
from filrouge.core.clock import utcnow
from filrouge.core.domain import Actor, ReviewStatus, Role, Source
from filrouge.core.errors import Conflict, NotFound, Unavailable
from filrouge.core.paging import cut, window
from filrouge.services.cases.creation import ENGINE_DOWN, CaseCreation
from filrouge.services.cases.launch import Reidentification, reidentify_cases
from filrouge.services.cases.placement import (
    CREATED,
    Candidate,
    Placed,
    identity_from_json,
    opaque_id,
)
from filrouge.services.intake.imports import own_platform
from filrouge.store.engine import transaction
from filrouge.store.erasure import ErasureRepository
from filrouge.store.intake_repository import DuplicateReviewRepository
from filrouge.store.models import DuplicateReview
from filrouge.store.repositories import CaseRepository


@dataclass
class DuplicateReviews:
    """Built once per application with the session factory and the creation pipeline."""

    sessions: async_sessionmaker[AsyncSession]
    temporal: Client
    creation: CaseCreation

    async def open_reviews(self, caller: Caller, limit: int, offset: int) -> list[DuplicateReview]:
        """Possible duplicates of the caller's platform waiting for a decision."""
        platform_id = own_platform(caller)
        async with transaction(self.sessions) as session:
            return await DuplicateReviewRepository(session).open_for(platform_id, limit, offset)

    async def open_page(
        self, caller: Caller, page: int, size: int
    ) -> tuple[list[DuplicateReview], bool]:
        """Page `page` (from 1) of those, oldest first, and whether another page follows."""
        return cut(await self.open_reviews(caller, *window(page, size)), size)

    async def _review(self, caller: Caller, review_id: str) -> DuplicateReview:
        async with transaction(self.sessions) as session:
            review = await DuplicateReviewRepository(session).get(review_id)
        if review is None or review.platform_id != caller.platform_id:
            raise NotFound("Doublon possible introuvable.")
        return review

    async def merge(self, caller: Caller, review_id: str, case_id: str) -> DuplicateReview:
        """Same young person: the identification is appended to that case (nothing else)."""
        review = await self._review(caller, review_id)
        if review.status == ReviewStatus.MERGED and review.resolved_case_id == case_id:
            return review
        _still_open(review)
        async with transaction(self.sessions) as session:
            case = await CaseRepository(session).get(case_id)
            erased = case is not None and await ErasureRepository(session).is_erased(case_id)
        if (
            case_id not in review.candidate_case_ids
            or not case
            or case.platform_id != caller.platform_id
        ):
            raise Conflict("Ce dossier ne fait pas partie des dossiers proposés pour ce doublon.")
        if erased:
            # Its workflow history is deleted: a re-identification would reopen an empty case.
            raise Conflict(
                "Le dossier proposé a été effacé (effacement des données personnelles) : la "
                "fusion est impossible. Gardez ce doublon possible séparé pour ouvrir un "
                "nouveau dossier."
            )
        source, at = Source(review.source), review.identified_at
        item = Reidentification(case_id, ReidentifyInput(caller.actor, source, at), review.id)
        try:
            ended = await reidentify_cases(self.temporal, [item], concurrency=1)
        except (RPCError, WorkflowUpdateFailedError) as exc:
            raise Unavailable(ENGINE_DOWN) from exc
        if ended:
            raise Conflict(
                "Le dossier proposé est arrivé au terme de sa conservation et ne peut plus être "
                "rouvert : la fusion est impossible. Gardez ce doublon possible séparé pour "
                "ouvrir un nouveau dossier."
            )
        return await self._resolve(caller, review_id, ReviewStatus.MERGED, case_id)

    async def keep_apart(self, caller: Caller, review_id: str) -> DuplicateReview:
        """Two different young people: the new one gets their own case, routed as usual."""
        review = await self._review(caller, review_id)
        if review.status == ReviewStatus.KEPT_APART:
            # Resolved after its case was started: a replay answers the same decision (even
            # when that case, and with it the review's identity, has been erased since).
            return review
        if review.status == ReviewStatus.MERGED:
            raise Conflict("Ce doublon possible a déjà été fusionné.")
        _still_open(review)
        candidate = Candidate(
            key=f"review|{review.id}",
            identity=identity_from_json(review.identity),
            source=Source(review.source),
            identified_at=review.identified_at,
            actor=Actor(caller.id, Role.COORDINATEUR),
            fallback_platform_id=review.platform_id,
        )
        case_id = opaque_id("c", candidate.key)
        if await self.creation.case(case_id) is not None:
            placed = Placed(CREATED, review.platform_id, case_id=case_id)
        else:
            placed = await self.creation.place(candidate, force_new=True)
        await self.creation.launch(placed, candidate, f"review-{review.id}")
        return await self._resolve(caller, review_id, ReviewStatus.KEPT_APART, case_id)

    async def _resolve(
        self, caller: Caller, review_id: str, status: ReviewStatus, case_id: str
    ) -> DuplicateReview:
        async with transaction(self.sessions) as session:
            review = await DuplicateReviewRepository(session).get(review_id, lock=True)
            assert review is not None
            if review.status == ReviewStatus.OPEN:
                review.status, review.resolved_case_id = status, case_id
                review.resolved_by, review.resolved_at = caller.id, utcnow()
            return review


def _still_open(review: DuplicateReview) -> None:
    """A review is decided once; an expired one no longer holds an identity to decide on."""
    if review.status == ReviewStatus.EXPIRED:
        raise Conflict(
            "Ce doublon possible a expiré sans décision : ses données personnelles ont été "
            "effacées à la fin de la durée de conservation. Saisissez à nouveau le jeune si "
            "nécessaire."
        )
    if review.status != ReviewStatus.OPEN:
        raise Conflict("Ce doublon possible a déjà été traité.")
