"""The admin audit log of credential actions: who did what to whose account, and when."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from filrouge.core.clock import utcnow
from filrouge.store.auth_repository import AuthRepository
from filrouge.store.models import AdminAuditEvent


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


ACTION_LABELS: dict[Action, str] = {
    Action.USER_CREATED: "compte créé",
    Action.ACTIVATION_SENT: "lien d’activation envoyé",
    Action.ACTIVATION_NOT_SENT: "lien d’activation non envoyé",
    Action.ACTIVATED: "compte activé (mot de passe choisi par la personne)",
    Action.PASSWORD_CHANGED: "mot de passe changé par la personne",
    Action.TOKEN_CREATED: "jeton d’API créé",
    Action.TOKEN_REVOKED: "jeton d’API révoqué",
    Action.USER_DEACTIVATED: "compte désactivé",
    Action.USER_REACTIVATED: "compte réactivé",
}
"""French words of each credential action, in the administrators' journal."""


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


async def credential_actions(
    session: AsyncSession, target_user_id: str | None = None, limit: int = 100, offset: int = 0
) -> list[AdminAuditEvent]:
    """Credential actions, newest first, on one user's account or on all."""
    return await AuthRepository(session).admin_audit(target_user_id, limit, offset)
