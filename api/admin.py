"""Administration endpoints: platforms (territory, timer policy), structures, users (created
in `api/admin_accounts.py`)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from api.deps import SessionDep
from api.reference_service import ReferenceService
from api.schemas import (
    PlatformIn,
    PlatformOut,
    PolicyIn,
    StructureIn,
    StructureOut,
    UserOut,
)
from filrouge.store.repositories import ReferenceRepository

router = APIRouter(prefix="/admin", tags=["administration"])


def _platform_out(platform: Any) -> PlatformOut:
    return PlatformOut(
        id=platform.id,
        name=platform.name,
        region=platform.region,
        territory=platform.territory,
        policy=platform.policy,
    )


@router.post("/platforms", response_model=PlatformOut, status_code=201)
async def create_platform(body: PlatformIn, session: SessionDep) -> PlatformOut:
    """Create a platform with its territory and timer policy."""
    return _platform_out(await ReferenceService(session).create_platform(body))


@router.get("/platforms", response_model=list[PlatformOut])
async def list_platforms(session: SessionDep) -> list[PlatformOut]:
    return [_platform_out(p) for p in await ReferenceRepository(session).platforms()]


@router.put("/platforms/{platform_id}/policy", response_model=PlatformOut)
async def set_policy(platform_id: str, body: PolicyIn, session: SessionDep) -> PlatformOut:
    """Change the timer policy; it applies to cases created afterwards."""
    return _platform_out(await ReferenceService(session).set_policy(platform_id, body))


@router.post("/structures", response_model=StructureOut, status_code=201)
async def create_structure(body: StructureIn, session: SessionDep) -> Any:
    return await ReferenceService(session).create_structure(body)


@router.get("/structures", response_model=list[StructureOut])
async def list_structures(session: SessionDep, platform_id: str | None = None) -> Any:
    return await ReferenceRepository(session).structures(platform_id)


@router.get("/users", response_model=list[UserOut])
async def list_users(session: SessionDep, platform_id: str | None = None) -> Any:
    return await ReferenceRepository(session).users(platform_id)
