"""Crossing notices: an identification sent from another platform matched one of ours.

The walls between platforms: a referral or a list row only ever changes cases of the
sender's platform. When its INE is followed elsewhere, that platform's coordinators get a
notice to review (their case id, the source and the date; no personal data, no sender), and
the sender gets the same answer as for a young person nobody follows.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from filrouge.core.caller import Caller
from filrouge.services.intake.imports import own_platform
from filrouge.store.creation_requests import CrossingNoticeRepository
from filrouge.store.engine import transaction
from filrouge.store.models import CrossingNotice


async def open_crossings(
    sessions: async_sessionmaker[AsyncSession], caller: Caller, limit: int, offset: int
) -> list[CrossingNotice]:
    """The caller's platform's open crossing notices, oldest first."""
    platform_id = own_platform(caller)
    async with transaction(sessions) as session:
        return await CrossingNoticeRepository(session).open_for(platform_id, limit, offset)
