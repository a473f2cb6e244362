"""« Administration »: platforms (territory, timer policy) and structures, through the same
service as `/admin/*` (`filrouge.services.reference`), checked by the API's own body models.

Users and the journal of credential actions are in `admin_users.py`.
"""

from __future__ import annotations

import re
from dataclasses import asdict, fields
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.deps import CurrentUser, SessionDep
from api.errors import Conflict, Invalid, NotFound
from api.pages.forms import checked, codes, page_number, refusal, values
from api.pages.routing import page_router
from api.pages.templating import render
from api.schemas import PlatformIn, PolicyIn, StructureIn, TerritoryIn, TimeZoneIn
from filrouge.core.domain import (
    POLICY_LABELS,
    STRUCTURE_KIND_LABELS,
    StructureKind,
    TimerPolicy,
)
from filrouge.core.durations import duration_words, iso_from_words
from filrouge.services.reference.admin import NewPlatform, NewStructure, ReferenceService

if TYPE_CHECKING:
    from filrouge.store.models import Structure

router = page_router()
ADMIN_PATH = "/administration"
PLATFORMS_PATH = f"{ADMIN_PATH}/plateformes"
STRUCTURES_PATH = f"{ADMIN_PATH}/structures"
LIST_PAGE = 50  # platforms or structures per page of their list, by id
TERRITORY_LABELS = {
    "communes": "Communes (codes INSEE)",
    "postal_codes": "Codes postaux",
    "departements": "Départements",
}
PLATFORM_FIELDS = ("id", "name", "region", "time_zone", *TERRITORY_LABELS)
POLICY_FIELDS = tuple(f.name for f in fields(TimerPolicy))
LIST_FIELDS = ("follow_up_checks",)
DELAY_FIELDS = tuple(name for name in POLICY_FIELDS if name != "max_failed_attempts")
STRUCTURE_FIELDS = ("id", "platform_id", "name", "kind")
Refused = (Conflict, Invalid, NotFound)


def territory_summary(territory: dict[str, list[str]]) -> str:
    """'Communes (codes INSEE) : 3 ; Codes postaux : 1', or 'aucun code'."""
    parts = [
        f"{label} : {len(territory[kind])}"
        for kind, label in TERRITORY_LABELS.items()
        if territory.get(kind)
    ]
    return " ; ".join(parts) or "aucun code"


def _just_created(request: Request) -> bool:
    """Whether the page opens right after its creation (the address says `?creee=1`)."""
    return request.query_params.get("creee") == "1"


def platform_choices(platforms: list[Any]) -> dict[str, Any]:
    """The platforms' names by id, and as the choices of a form (« Nom (id) »)."""
    return {
        "platform_names": {p.id: p.name for p in platforms},
        "platform_options": [(p.id, f"{p.name} ({p.id})") for p in platforms],
    }


@router.get(ADMIN_PATH)
async def page_admin(request: Request, user: CurrentUser, session: SessionDep) -> HTMLResponse:
    """The administrator's start page: what there is, and where to manage it."""
    service = ReferenceService(session)
    counts = {
        "platforms": await service.platform_count(),
        "structures": await service.structure_count(),
        "users": await service.user_count(),
    }
    return render(request, "admin_home.html", counts)


# ---------------------------------------------------------------- platforms


async def _platforms_page(
    request: Request, session: SessionDep, status: int = 200, **context: Any
) -> HTMLResponse:
    page = page_number(request.query_params.get("page", ""))
    platforms, more = await ReferenceService(session).platforms_page(page, LIST_PAGE)
    base = {
        "platforms": platforms,
        "page": page,
        "more": more,
        "summaries": {p.id: territory_summary(p.territory or {}) for p in platforms},
        "form": {},
        "errors": {},
        "territory_labels": TERRITORY_LABELS,
    }
    return render(request, "admin_platforms.html", base | context, status_code=status)


@router.get(PLATFORMS_PATH)
async def page_admin_platforms(
    request: Request, user: CurrentUser, session: SessionDep
) -> HTMLResponse:
    """Every platform, and the form to create one."""
    return await _platforms_page(request, session)


@router.post(PLATFORMS_PATH)
async def page_create_platform(
    request: Request, user: CurrentUser, session: SessionDep
) -> Response:
    """Create a platform (its timer policy starts with the defaults), then open its page."""
    form = values(await request.form(), PLATFORM_FIELDS)
    territory = {kind: codes(form[kind]) for kind in TERRITORY_LABELS}
    data = {name: form[name] for name in ("id", "name", "region", "time_zone")}
    body, errors = checked(PlatformIn, data | {"territory": territory})
    if body is not None:
        territory = body.territory.model_dump()
        new = NewPlatform(body.id, body.name, body.region, territory, time_zone=body.time_zone)
        try:
            await ReferenceService(session).create_platform(new)
        except Refused as exc:
            errors = refusal(exc, PLATFORM_FIELDS)
    if errors:
        return await _platforms_page(request, session, 422, form=form, errors=errors)
    assert body is not None
    return RedirectResponse(f"{PLATFORMS_PATH}/{body.id}?creee=1", status_code=303)


def _policy_rows(policy: dict[str, Any], form: dict[str, str]) -> list[dict[str, str]]:
    """Each policy field: its French label, the value shown, the current and default ones."""
    defaults = asdict(TimerPolicy())
    rows = []
    for name in POLICY_FIELDS:
        current, default = policy.get(name, defaults[name]), defaults[name]
        rows.append(
            {
                "name": name,
                "label": POLICY_LABELS[name][0].upper() + POLICY_LABELS[name][1:],
                "value": form.get(name, _words(name, current) if name in DELAY_FIELDS else current),
                "words": _words(name, current),
                "default": _words(name, default),
            }
        )
    return rows


def _words(name: str, value: Any) -> str:
    if name == "max_failed_attempts":
        return f"{value} tentatives"
    if isinstance(value, list | tuple):
        return ", ".join(duration_words(v) for v in value)
    return duration_words(str(value))


def _delays(text: str, several: bool) -> tuple[list[str], str | None]:
    """The delays typed in one field, each in French words ('5 jours', '2 mois', '1 an et 6
    mois') or ISO 8601 ('P5D', as the API takes them), turned into ISO 8601 for the service
    to check; several ones are separated by commas or semicolons (ISO ones also by spaces).
    With them, the first one that is neither (the service refuses it as invalid ISO 8601)."""
    delays: list[str] = []
    unreadable = None
    parts = re.split(r"[,;\n]+", text) if several else [text]
    for part in filter(None, (p.strip() for p in parts)):
        if part.upper().startswith("P"):
            delays += codes(part) if several else [part]
            continue
        iso = iso_from_words(part)
        unreadable = unreadable or (None if iso else part)
        delays.append(iso or part)
    return delays, unreadable


def _unreadable(text: str) -> str:
    return f"Durée illisible : « {text[:40]} » (exemples : 5 jours, 2 mois, 12 heures)."


async def _platform_page(
    request: Request,
    session: SessionDep,
    platform_id: str,
    block: str | None = None,
    status: int = 200,
    **context: Any,
) -> HTMLResponse:
    platform = await ReferenceService(session).platform(platform_id)
    territory = {k: ", ".join(platform.territory.get(k, [])) for k in TERRITORY_LABELS}
    base = {
        "platform": platform,
        "territory": context.pop("territory_form", territory),
        "territory_labels": TERRITORY_LABELS,
        "territory_errors": {},
        "territory_saved": False,
        "policy": _policy_rows(platform.policy or {}, context.pop("policy_form", {})),
        "policy_errors": {},
        "policy_saved": False,
        "zone": platform.zone_name,
        "zone_chosen": platform.time_zone is not None,
        "zone_value": context.pop("zone_form", platform.time_zone or ""),
        "zone_errors": {},
        "zone_saved": False,
        "created": _just_created(request),
    }
    context = base | context
    return render(request, "admin_platform.html", context, block=block, status_code=status)


@router.get(f"{PLATFORMS_PATH}/{{platform_id}}")
async def page_admin_platform(
    platform_id: str, request: Request, user: CurrentUser, session: SessionDep
) -> HTMLResponse:
    """A platform: its territory and its timer policy, each with its form."""
    return await _platform_page(request, session, platform_id)


@router.post(f"{PLATFORMS_PATH}/{{platform_id}}/territoire")
async def page_set_territory(
    platform_id: str, request: Request, user: CurrentUser, session: SessionDep
) -> HTMLResponse:
    """Replace the territory; refused by its fields when it overlaps another platform's."""
    form = values(await request.form(), TERRITORY_LABELS)
    body, errors = checked(TerritoryIn, {kind: codes(form[kind]) for kind in TERRITORY_LABELS})
    status = 422 if errors else 200
    if body is not None:
        try:
            await ReferenceService(session).set_territory(platform_id, body.model_dump())
        except Conflict as exc:
            errors, status = refusal(exc, TERRITORY_LABELS), 409
    context = {"territory_errors": errors, "territory_saved": not errors}
    if errors:
        context["territory_form"] = form
    return await _platform_page(request, session, platform_id, "territory", status, **context)


@router.post(f"{PLATFORMS_PATH}/{{platform_id}}/delais")
async def page_set_policy(
    platform_id: str, request: Request, user: CurrentUser, session: SessionDep
) -> HTMLResponse:
    """Change the timer policy (an empty field keeps its value); refusals by their fields."""
    form = values(await request.form(), POLICY_FIELDS)
    data: dict[str, Any] = dict(form)
    unreadable: dict[str, str] = {}
    for name in DELAY_FIELDS:
        delays, wrong = _delays(form[name], several=name in LIST_FIELDS)
        data[name] = delays if name in LIST_FIELDS else "".join(delays)
        if wrong is not None:
            unreadable[name] = _unreadable(wrong)
    data["follow_up_checks"] = data["follow_up_checks"] or None
    body, errors = checked(PolicyIn, data)
    if body is not None:
        changes = body.model_dump(exclude_none=True)
        try:
            await ReferenceService(session).set_policy(platform_id, changes)
        except Invalid as exc:
            errors = refusal(exc, POLICY_FIELDS)
    errors |= unreadable  # refused by the service too, said here in the page's own terms
    context = {"policy_errors": errors, "policy_saved": not errors}
    if errors:
        context["policy_form"] = form
    return await _platform_page(
        request, session, platform_id, "policy", 422 if errors else 200, **context
    )


@router.post(f"{PLATFORMS_PATH}/{{platform_id}}/fuseau")
async def page_set_time_zone(
    platform_id: str, request: Request, user: CurrentUser, session: SessionDep
) -> HTMLResponse:
    """Choose the zone of the platform's dates; empty: back to its territory's zone."""
    value = values(await request.form(), ("time_zone",))["time_zone"]
    body, errors = checked(TimeZoneIn, {"time_zone": value}) if value else (None, {})
    if not errors:
        try:
            zone = body.time_zone if body else None
            await ReferenceService(session).set_time_zone(platform_id, zone)
        except Invalid as exc:
            errors = refusal(exc, ("time_zone",))
    context = {"zone_errors": errors, "zone_saved": not errors}
    if errors:
        context["zone_form"] = value
    status = 422 if errors else 200
    return await _platform_page(request, session, platform_id, "time_zone", status, **context)


# ---------------------------------------------------------------- structures


async def _structures_page(
    request: Request, session: SessionDep, status: int = 200, **context: Any
) -> HTMLResponse:
    service = ReferenceService(session)
    platforms = await service.platforms()
    page = page_number(request.query_params.get("page", ""))
    structures, more = await service.structures_page(page, LIST_PAGE)
    base = platform_choices(platforms) | {
        "structures": structures,
        "page": page,
        "more": more,
        "kind_options": [(k.value, STRUCTURE_KIND_LABELS[k]) for k in StructureKind],
        "kind_labels": STRUCTURE_KIND_LABELS,
        "form": {},
        "errors": {},
        "created": await _created_structure(request, service),
    }
    return render(request, "admin_structures.html", base | context, status_code=status)


@router.get(STRUCTURES_PATH)
async def page_admin_structures(
    request: Request, user: CurrentUser, session: SessionDep
) -> HTMLResponse:
    """Every structure, and the form to create one."""
    return await _structures_page(request, session)


@router.post(STRUCTURES_PATH)
async def page_create_structure(
    request: Request, user: CurrentUser, session: SessionDep
) -> Response:
    """Create a structure of a platform (Mission locale, MLDS, CIO...)."""
    form = values(await request.form(), STRUCTURE_FIELDS)
    body, errors = checked(StructureIn, form)
    service = ReferenceService(session)
    if body is not None:
        new = NewStructure(body.id, body.platform_id, body.name, body.kind)
        try:
            await service.create_structure(new)
        except Refused as exc:
            errors = refusal(exc, STRUCTURE_FIELDS)
    if errors:
        return await _structures_page(request, session, 422, form=form, errors=errors)
    assert body is not None  # to the page of the list that shows the new structure
    shown = {"creee": body.id, "page": await service.structure_page(body.id, LIST_PAGE)}
    return RedirectResponse(f"{STRUCTURES_PATH}?{urlencode(shown)}", status_code=303)


async def _created_structure(request: Request, service: ReferenceService) -> Structure | None:
    """The structure just created (the list's address names it; it may be on another page)."""
    structure_id = request.query_params.get("creee", "")[:40]
    return await service.find_structure(structure_id) if structure_id else None
