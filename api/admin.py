"""Administration endpoints: platforms (territory, timer policy), structures, users (created
in `api/admin_accounts.py`)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from api.deps import SessionDep
from api.schemas import (
    PlatformIn,
    PlatformOut,
    PolicyIn,
    StructureIn,
    StructureOut,
    TerritoryIn,
    TimeZoneIn,
    UserOut,
)
from filrouge.services.reference.admin import NewPlatform, NewStructure, ReferenceService

router = APIRouter(prefix="/admin", tags=["administration"])


def _platform_out(platform: Any) -> PlatformOut:
    return PlatformOut(
        id=platform.id,
        name=platform.name,
        region=platform.region,
        territory=platform.territory,
        policy=platform.policy,
        time_zone=platform.zone_name,
        time_zone_chosen=platform.time_zone is not None,
    )


@router.post("/platforms", response_model=PlatformOut, status_code=201)
async def create_platform(body: PlatformIn, session: SessionDep) -> PlatformOut:
    """Create a platform with its territory and timer policy."""
    new = NewPlatform(
        id=body.id,
        name=body.name,
        region=body.region,
        territory=body.territory.model_dump(),
        policy=body.policy.model_dump(exclude_none=True),
        time_zone=body.time_zone,
    )
    return _platform_out(await ReferenceService(session).create_platform(new))


@router.get("/platforms", response_model=list[PlatformOut])
async def list_platforms(session: SessionDep) -> list[PlatformOut]:
    return [_platform_out(p) for p in await ReferenceService(session).platforms()]


@router.put("/platforms/{platform_id}/policy", response_model=PlatformOut)
async def set_policy(platform_id: str, body: PolicyIn, session: SessionDep) -> PlatformOut:
    """Change the timer policy; it applies to cases created afterwards."""
    changes = body.model_dump(exclude_none=True)
    return _platform_out(await ReferenceService(session).set_policy(platform_id, changes))


@router.put("/platforms/{platform_id}/time-zone", response_model=PlatformOut)
async def set_time_zone(platform_id: str, body: TimeZoneIn, session: SessionDep) -> PlatformOut:
    """Choose the zone of the platform's dates (mails, pages, exports); null: its territory's."""
    service = ReferenceService(session)
    return _platform_out(await service.set_time_zone(platform_id, body.time_zone))


@router.put("/platforms/{platform_id}/territory", response_model=PlatformOut)
async def set_territory(platform_id: str, body: TerritoryIn, session: SessionDep) -> PlatformOut:
    """Replace the territory; refused (409) when it overlaps another platform's."""
    service = ReferenceService(session)
    return _platform_out(await service.set_territory(platform_id, body.model_dump()))


@router.post("/structures", response_model=StructureOut, status_code=201)
async def create_structure(body: StructureIn, session: SessionDep) -> Any:
    new = NewStructure(id=body.id, platform_id=body.platform_id, name=body.name, kind=body.kind)
    return await ReferenceService(session).create_structure(new)


@router.get("/structures", response_model=list[StructureOut])
async def list_structures(session: SessionDep, platform_id: str | None = None) -> Any:
    return await ReferenceService(session).structures(platform_id)


@router.get("/users", response_model=list[UserOut])
async def list_users(session: SessionDep, platform_id: str | None = None) -> Any:
    return await ReferenceService(session).users(platform_id)
