"""Who a signed-in user is for the services: their role, platform and platform's time zone."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from filrouge.core.caller import Caller
from filrouge.core.domain import Role
from filrouge.store.models import User
from filrouge.store.repositories import ReferenceRepository


async def caller_of(session: AsyncSession, user: User) -> Caller:
    """The caller an active user is, with the time zone of their platform's dates."""
    platform = (
        await ReferenceRepository(session).platform(user.platform_id) if user.platform_id else None
    )
    zone = platform.zone_name if platform else None
    return Caller(user.id, Role(user.role), user.platform_id, user.structure_id, zone)
