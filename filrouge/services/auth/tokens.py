"""Personal API tokens, created by their owner or, for the first administrator and the
demo's staff, by the command line; never by someone else for them."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from filrouge.core.clock import utcnow
from filrouge.services.auth.audit import Action, record
from filrouge.services.auth.hashing import digest
from filrouge.services.reference.admin import ReferenceService, UserFields
from filrouge.store.auth_repository import AuthRepository
from filrouge.store.models import ApiToken, User


@dataclass(frozen=True)
class IssuedToken:
    """A new personal API token: the value is shown once, only its SHA-256 is stored."""

    token_id: str
    user_id: str
    token: str


async def create_token(
    session: AsyncSession, user_id: str, label: str, actor_id: str | None
) -> IssuedToken:
    """A personal API token for `user_id`, created by themselves or by the command line."""
    token = f"fr_{secrets.token_urlsafe(32)}"
    row = ApiToken(
        id=f"t{uuid.uuid4().hex[:15]}",
        user_id=user_id,
        token_hash=digest(token),
        label=label,
        created_at=utcnow(),
        revoked_at=None,
    )
    await AuthRepository(session).add(row)
    await record(session, actor_id, Action.TOKEN_CREATED, user_id, token_id=row.id, label=label)
    return IssuedToken(row.id, user_id, token)


async def create_user_with_token(
    session: AsyncSession, new: UserFields, label: str
) -> tuple[User, IssuedToken]:
    """A user and a token, by the command line (the first administrator, the demo's staff)."""
    user = await ReferenceService(session).create_user(new)
    await record(session, None, Action.USER_CREATED, user.id, role=user.role)
    return user, await create_token(session, user.id, label, actor_id=None)
