"""The admin audit log of credential actions, and the credentials created in code (a user's
own API token, the first administrator's, the demo's)."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from api.reference_service import ReferenceService
from api.schemas import UserIn
from api.sessions import digest
from filrouge.core.clock import utcnow
from filrouge.store.auth_repository import AuthRepository
from filrouge.store.models import AdminAuditEvent, ApiToken, User


class Action(StrEnum):
    USER_CREATED = "user_created"
    ACTIVATION_SENT = "activation_sent"
    ACTIVATION_NOT_SENT = "activation_not_sent"
    ACTIVATED = "activated"
    PASSWORD_CHANGED = "password_changed"
    TOKEN_CREATED = "token_created"
    TOKEN_REVOKED = "token_revoked"
    USER_DEACTIVATED = "user_deactivated"
    USER_REACTIVATED = "user_reactivated"


async def record(
    session: AsyncSession, actor_id: str | None, action: Action, target_user_id: str, **details: Any
) -> None:
    """Append one credential action (`actor_id` None: the command line). Never a secret."""
    row = AdminAuditEvent(
        at=utcnow(),
        actor_id=actor_id,
        action=action.value,
        target_user_id=target_user_id,
        details=details,
    )
    await AuthRepository(session).add(row)


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
    session: AsyncSession, body: UserIn, label: str
) -> tuple[User, IssuedToken]:
    """A user and a token, by the command line (the first administrator, the demo's staff)."""
    user = await ReferenceService(session).create_user(body)
    await record(session, None, Action.USER_CREATED, user.id, role=user.role)
    return user, await create_token(session, user.id, label, actor_id=None)
