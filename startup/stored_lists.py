"""At worker start: lists stored as sent before kept copies existed become kept copies."""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from filrouge.services.intake.stored_lists import keep_read_copies

logger = logging.getLogger(__name__)


async def keep_read_copies_logged(sessions: async_sessionmaker[AsyncSession]) -> None:
    """Run beside the worker; a failure is logged (the next start tries again)."""
    try:
        changed = await keep_read_copies(sessions)
    except Exception:
        logger.exception("Uploaded lists stored as sent could not be replaced by kept copies")
        return
    if changed:
        logger.info("%d uploaded list(s) stored as sent replaced by their kept copy", changed)
