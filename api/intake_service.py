"""Intake use cases: upload a list, read its progress and report; referrals; duplicate reviews."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.service import RPCError

from api.deps import CurrentUserInfo
from api.errors import AppError, Conflict, Invalid, NotFound, Unavailable
from filrouge.core.cases.steps import ReidentifyInput
from filrouge.core.clock import utcnow
from filrouge.core.domain import Actor, Role, Source, TimerPolicy
from filrouge.intake import IntakeFileError, IntakeLimits, read_list, validate_list
from filrouge.intake.forbidden import without_forbidden_values
from filrouge.intake.report import rejected_rows_csv
from filrouge.intake.validate import RejectedRow, ValidRow, validate_row
from filrouge.services.cases.launch import Reidentification, reidentify_cases, start_cases
from filrouge.services.cases.placement import (
    CREATED,
    DUPLICATE_REVIEW,
    REIDENTIFIED,
    TO_ROUTE,
    Candidate,
    Placed,
    Placer,
    identity_from_json,
    opaque_id,
    start_input_from_case,
)
from filrouge.store.engine import transaction
from filrouge.store.erasure import ErasureRepository
from filrouge.store.intake_repository import DuplicateReviewRepository, ImportRepository
from filrouge.store.models import DuplicateReview, Import
from filrouge.store.repositories import CaseRepository, ReferenceRepository
from workflows.intake import ImportWorkflow, ImportWorkflowInput, import_workflow_id


class BadFile(AppError):
    """The uploaded list cannot be read as a whole (one French message, nothing imported)."""

    status_code, code = 422, "fichier_invalide"


class TooLarge(AppError):
    status_code, code = 413, "fichier_trop_volumineux"


ACKNOWLEDGEMENTS = {
    CREATED: "Signalement enregistré : le jeune sera contacté par un référent de la plateforme.",
    TO_ROUTE: "Signalement enregistré : la plateforme l'attribuera à un référent.",
    REIDENTIFIED: "Signalement enregistré : ce jeune est déjà suivi, son référent est prévenu.",
    DUPLICATE_REVIEW: "Signalement enregistré : un coordinateur vérifie s'il s'agit d'un jeune "
    "déjà suivi.",
}


def _own(user: CurrentUserInfo, platform_id: str | None) -> str:
    if not user.platform_id or (platform_id and platform_id != user.platform_id):
        raise NotFound("Introuvable.")
    return user.platform_id


def identified_at_of(day: date) -> datetime:
    now = utcnow()
    return now if day == now.date() else datetime.combine(day, time(8, 0), tzinfo=UTC)


@dataclass
class IntakeService:
    sessions: async_sessionmaker[AsyncSession]
    temporal: Client
    task_queue: str
    search_attributes: bool = True
    limits: IntakeLimits = field(default_factory=IntakeLimits)
    start_concurrency: int = 16

    # ------------------------------------------------------------ imports

    async def upload(
        self, user: CurrentUserInfo, filename: str, content: bytes
    ) -> tuple[Import, bool]:
        """Check the file as a whole, store it once per platform and content, start its import."""
        platform_id = _own(user, None)
        try:
            parsed = await asyncio.to_thread(read_list, content, self.limits)
        except IntakeFileError as error:
            raise BadFile(error.message) from error
        sha = hashlib.sha256(content).hexdigest()  # of the file as sent: the same file, one import
        import_id = opaque_id("i", platform_id, sha)
        kept = await asyncio.to_thread(without_forbidden_values, content, parsed)
        now = utcnow()
        row = Import(
            id=import_id,
            platform_id=platform_id,
            uploaded_by=user.id,
            filename=filename[:255],
            content_sha256=sha,
            status="pending",
            identified_on=now.date(),
            ignored_columns=[],
            dropped_columns=[],
            created_at=now,
        )
        existing = await self._store_once(row, kept)
        await self._start_import(import_id)
        return existing or row, existing is None

    async def _store_once(self, row: Import, content: bytes) -> Import | None:
        """Store a new import; the one already stored when this file was sent before."""
        try:
            async with transaction(self.sessions) as session:
                repo = ImportRepository(session)
                existing = await repo.get(row.id)
                if existing is None:
                    await repo.add(row, content)
                return existing
        except IntegrityError:  # the same file sent twice at once: the other request stored it
            async with transaction(self.sessions) as session:
                return await ImportRepository(session).get(row.id)

    async def _start_import(self, import_id: str) -> None:
        try:
            await self.temporal.start_workflow(
                ImportWorkflow.run,
                ImportWorkflowInput(import_id, search_attributes=self.search_attributes),
                id=import_workflow_id(import_id),
                task_queue=self.task_queue,
                id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            )
        except RPCError as exc:
            raise Unavailable("Le moteur d'import est momentanément indisponible.") from exc

    async def get(self, user: CurrentUserInfo, import_id: str) -> Import:
        async with transaction(self.sessions) as session:
            imp = await ImportRepository(session).get(import_id)
        if imp is None or imp.platform_id != user.platform_id:
            raise NotFound("Import introuvable.")
        return imp

    async def report_rows(self, user: CurrentUserInfo, import_id: str) -> list[Any]:
        """The rows that did not become a new case, with their fate and reasons."""
        await self.get(user, import_id)
        async with transaction(self.sessions) as session:
            return await ImportRepository(session).rejected_rows(import_id, with_reviews=True)

    async def rejected_csv(self, user: CurrentUserInfo, import_id: str) -> bytes:
        """The rejected rows with their original values, as the report computed them."""
        imp = await self.get(user, import_id)
        async with transaction(self.sessions) as session:
            content = await ImportRepository(session).content(import_id)
        if content is None:
            raise Conflict(
                "La liste importée a été effacée : sa durée de conservation est dépassée."
            )

        def build() -> bytes:
            parsed = read_list(content, self.limits)
            _, report = validate_list(parsed, imp.identified_on)
            return rejected_rows_csv(report, parsed.rows)

        try:
            return await asyncio.to_thread(build)
        except IntakeFileError as error:
            raise BadFile(error.message) from error

    # ------------------------------------------------------------ referrals

    async def refer(
        self,
        user: CurrentUserInfo,
        person: dict[str, Any],
        source: Source,
        identified_on: date,
        consent: bool,
        key: str | None,
    ) -> Placed:
        """A partner's or a colleague's referral, through the same validation, dedup and routing."""
        platform_id = _own(user, None)
        valid = _validated(person, identified_on)
        candidate = Candidate(
            key=f"referral|{user.id}|{key or uuid.uuid4().hex}",
            identity=valid.identity_fields(),
            source=source,
            identified_at=identified_at_of(identified_on),
            actor=user.actor,
            fallback_platform_id=platform_id,
            convocation_consent=consent,
        )
        placed = await self._replayed(candidate) or await self._place(candidate)
        await self._launch(placed, candidate, f"referral-{opaque_id('', candidate.key)}")
        return placed

    async def _replayed(self, candidate: Candidate) -> Placed | None:
        """The first answer to a replayed referral (same caller, same Idempotency-Key)."""
        async with transaction(self.sessions) as session:
            case = await CaseRepository(session).get(opaque_id("c", candidate.key))
            review = await DuplicateReviewRepository(session).get(opaque_id("d", candidate.key))
        if case is not None:
            return Placed(CREATED if case.referent_id else TO_ROUTE, case.platform_id, case.id)
        if review is not None:
            return Placed(DUPLICATE_REVIEW, review.platform_id, review_id=review.id)
        return None

    async def _place(self, candidate: Candidate, *, force_new: bool = False) -> Placed:
        async with transaction(self.sessions) as session:
            placer = Placer(session)
            await placer.load([candidate])
            placed = placer.place(candidate, force_new=force_new)
            await placer.flush()
        return placed

    async def _launch(self, placed: Placed, candidate: Candidate, update_id: str) -> None:
        """Start the new case's workflow, or tell the known case (idempotent either way)."""
        try:
            if placed.status in (CREATED, TO_ROUTE) and placed.case_id:
                async with transaction(self.sessions) as session:
                    case = await CaseRepository(session).get(placed.case_id)
                    platform = await ReferenceRepository(session).platform(placed.platform_id)
                assert case is not None
                policy = TimerPolicy.from_dict(platform.policy if platform else {})
                start = start_input_from_case(case, candidate.actor, policy)
                await start_cases(
                    self.temporal,
                    self.task_queue,
                    [start],
                    search_attributes=self.search_attributes,
                    concurrency=1,
                )
            elif placed.status == REIDENTIFIED and placed.case_id:
                step = ReidentifyInput(candidate.actor, candidate.source, candidate.identified_at)
                item = Reidentification(placed.case_id, step, update_id)
                await reidentify_cases(self.temporal, [item], concurrency=1)
        except (RPCError, WorkflowUpdateFailedError) as exc:
            raise Unavailable("Le moteur de parcours est momentanément indisponible.") from exc

    # ------------------------------------------------------------ duplicate reviews

    async def open_reviews(
        self, user: CurrentUserInfo, limit: int, offset: int
    ) -> list[DuplicateReview]:
        platform_id = _own(user, None)
        async with transaction(self.sessions) as session:
            return await DuplicateReviewRepository(session).open_for(platform_id, limit, offset)

    async def _review(self, user: CurrentUserInfo, review_id: str) -> DuplicateReview:
        async with transaction(self.sessions) as session:
            review = await DuplicateReviewRepository(session).get(review_id)
        if review is None or review.platform_id != user.platform_id:
            raise NotFound("Doublon possible introuvable.")
        return review

    async def merge(self, user: CurrentUserInfo, review_id: str, case_id: str) -> DuplicateReview:
        """Same young person: the identification is appended to that case (nothing else)."""
        review = await self._review(user, review_id)
        if review.status == "merged" and review.resolved_case_id == case_id:
            return review
        _still_open(review)
        async with transaction(self.sessions) as session:
            case = await CaseRepository(session).get(case_id)
            erased = case is not None and await ErasureRepository(session).is_erased(case_id)
        if (
            case_id not in review.candidate_case_ids
            or not case
            or case.platform_id != user.platform_id
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
        item = Reidentification(case_id, ReidentifyInput(user.actor, source, at), review.id)
        try:
            await reidentify_cases(self.temporal, [item], concurrency=1)
        except (RPCError, WorkflowUpdateFailedError) as exc:
            raise Unavailable("Le moteur de parcours est momentanément indisponible.") from exc
        return await self._resolve(user, review_id, "merged", case_id)

    async def keep_apart(self, user: CurrentUserInfo, review_id: str) -> DuplicateReview:
        """Two different young people: the new one gets their own case, routed as usual."""
        review = await self._review(user, review_id)
        if review.status == "kept_apart":
            # Resolved after its case was started: a replay answers the same decision (even
            # when that case, and with it the review's identity, has been erased since).
            return review
        if review.status == "merged":
            raise Conflict("Ce doublon possible a déjà été fusionné.")
        _still_open(review)
        candidate = Candidate(
            key=f"review|{review.id}",
            identity=identity_from_json(review.identity),
            source=Source(review.source),
            identified_at=review.identified_at,
            actor=Actor(user.id, Role.COORDINATEUR),
            fallback_platform_id=review.platform_id,
        )
        case_id = opaque_id("c", candidate.key)
        async with transaction(self.sessions) as session:
            exists = await CaseRepository(session).get(case_id) is not None
        if exists:
            placed = Placed(CREATED, review.platform_id, case_id=case_id)
        else:
            placed = await self._place(candidate, force_new=True)
        await self._launch(placed, candidate, f"review-{review.id}")
        return await self._resolve(user, review_id, "kept_apart", case_id)

    async def _resolve(
        self, user: CurrentUserInfo, review_id: str, status: str, case_id: str
    ) -> DuplicateReview:
        async with transaction(self.sessions) as session:
            review = await DuplicateReviewRepository(session).get(review_id, lock=True)
            assert review is not None
            if review.status == "open":
                review.status, review.resolved_case_id = status, case_id
                review.resolved_by, review.resolved_at = user.id, utcnow()
            return review


def _still_open(review: DuplicateReview) -> None:
    """A review is decided once; an expired one no longer holds an identity to decide on."""
    if review.status == "expired":
        raise Conflict(
            "Ce doublon possible a expiré sans décision : ses données personnelles ont été "
            "effacées à la fin de la durée de conservation. Saisissez à nouveau le jeune si "
            "nécessaire."
        )
    if review.status != "open":
        raise Conflict("Ce doublon possible a déjà été traité.")


def _validated(person: dict[str, Any], identified_on: date) -> ValidRow:
    """The same checks as a list row; every faulty field is reported in French."""
    result = validate_row(person, 0, identified_on)
    if isinstance(result, RejectedRow):
        details = "; ".join(f"{e.column} : {e.message}" for e in result.errors)
        raise Invalid(f"Signalement refusé : {details}.")
    return result
