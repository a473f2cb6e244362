"""Possible duplicates: a new identification beside the cases it resembles; merge or keep apart."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

from fastapi import Form, Request, Response
from fastapi.responses import HTMLResponse

from api.deps import CurrentUser, CurrentUserInfo, SessionDep
from api.errors import Conflict, NotFound, Unavailable
from api.pages.forms import page_number
from api.pages.routing import page_router
from api.pages.templating import render
from filrouge.core.domain import SOURCE_LABELS, STAGE_LABELS, Source, Stage
from filrouge.core.identity import LABELS
from filrouge.services.cases.reading import CaseReader
from filrouge.services.intake.duplicates import DuplicateReviews

router = page_router()
DUPLICATES_PATH = "/plateforme/doublons"
SHOWN = 20
# What tells two young people apart; contact details are not needed to decide.
COMPARED = (
    "last_name",
    "first_name",
    "birth_date",
    "sex",
    "ine",
    "commune_name",
    "postal_code",
    "commune_insee",
    "school_name",
    "school_uai",
    "leaving_date",
)


@dataclass(frozen=True)
class Side:
    """One column of the comparison: the new identification or a known case."""

    heading: str
    values: dict[str, str]
    case_id: str | None = None
    stage: str | None = None


@dataclass(frozen=True)
class ReviewView:
    id: str
    source: str
    identified_at: Any
    row_number: int | None
    sides: list[Side]


def _shown(value: Any) -> str:
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, str) and len(value) == 10 and value[4] == "-" and value[7] == "-":
        return f"{value[8:]}/{value[5:7]}/{value[:4]}"  # an ISO date kept as JSON
    return "—" if value in (None, "") else str(value)


def _values(identity: Any) -> dict[str, str]:
    get = identity.get if isinstance(identity, dict) else lambda f: getattr(identity, f, None)
    return {field: _shown(get(field)) for field in COMPARED}


async def _views(
    user: CurrentUserInfo, session: SessionDep, reviews: list[Any]
) -> list[ReviewView]:
    reader, views = CaseReader(session), []
    for review in reviews:
        sides = [Side("Nouveau repérage", _values(review.identity))]
        for case_id in review.candidate_case_ids:
            try:  # each known case shown is a logged read of its personal data
                case = await reader.case(user, case_id, view="duplicate_review")
            except NotFound:
                continue
            if case.identity is not None:
                stage = STAGE_LABELS[Stage(case.stage)]
                heading = f"Dossier {case.id}"
                sides.append(Side(heading, _values(case.identity), case.id, stage))
        source = SOURCE_LABELS.get(Source(review.source), review.source)
        views.append(ReviewView(review.id, source, review.identified_at, review.row_number, sides))
    return views


async def _page(
    request: Request,
    user: CurrentUserInfo,
    session: SessionDep,
    notice: str | None = None,
    refusal: tuple[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    page, service = page_number(request.query_params.get("page", "")), _reviews(request)
    reviews, more = await service.open_page(user, page, SHOWN)
    if not reviews and page > 1:  # the last one of the last page was decided
        page -= 1
        reviews, more = await service.open_page(user, page, SHOWN)
    context = {
        "reviews": await _views(user, session, reviews),
        "page": page,
        "more": more,
        "page_query": f"?page={page}" if page > 1 else "",  # a decision comes back here
        "labels": {f: LABELS[f] for f in COMPARED},
        "notice": notice,
        "refusal": refusal,
        "duplicates_path": DUPLICATES_PATH,
        "shown": SHOWN,
    }
    return render(
        request, "platform/duplicates.html", context, block="reviews", status_code=status_code
    )


def _reviews(request: Request) -> DuplicateReviews:
    return request.app.state.duplicate_reviews  # type: ignore[no-any-return]


@router.get(DUPLICATES_PATH)
async def page_duplicates(request: Request, user: CurrentUser, session: SessionDep) -> HTMLResponse:
    """The platform's possible duplicates waiting for a decision, oldest first."""
    return await _page(request, user, session)


async def _decided(
    request: Request, user: CurrentUserInfo, session: SessionDep, review_id: str, action: Any
) -> Response:
    try:
        notice = await action()
    except (Conflict, Unavailable) as refused:
        return await _page(request, user, session, None, (review_id, refused.message), 409)
    return await _page(request, user, session, notice)


@router.post(f"{DUPLICATES_PATH}/{{review_id}}/fusionner")
async def page_merge_duplicate(
    request: Request,
    user: CurrentUser,
    session: SessionDep,
    review_id: str,
    dossier: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    """Same young person: the identification joins the chosen case."""

    async def merge() -> str:
        await _reviews(request).merge(user, review_id[:40], dossier)
        return f"Repérage ajouté au dossier {dossier}."

    return await _decided(request, user, session, review_id, merge)


@router.post(f"{DUPLICATES_PATH}/{{review_id}}/separer")
async def page_keep_duplicate_apart(
    request: Request, user: CurrentUser, session: SessionDep, review_id: str
) -> Response:
    """Two different young people: the new one gets a case of their own, routed as usual."""

    async def keep_apart() -> str:
        review = await _reviews(request).keep_apart(user, review_id[:40])
        return f"Gardé séparé : le dossier {review.resolved_case_id} a été ouvert."

    return await _decided(request, user, session, review_id, keep_apart)
