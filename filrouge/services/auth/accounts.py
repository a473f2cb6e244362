"""One's own account and an administrator's hold on others': who is calling, tokens,
revocations and (de)activation, inside the door's transaction. Never a credential handed
to someone else."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from filrouge.core.caller import Caller
from filrouge.core.clock import utcnow
from filrouge.core.errors import Conflict, NotFound
from filrouge.services.auth.audit import Action, record
from filrouge.services.auth.sessions import end_session, session_expiry
from filrouge.services.auth.tokens import IssuedToken, create_token
from filrouge.store.auth_repository import AuthRepository
from filrouge.store.models import ApiToken, User
from filrouge.store.repositories import ReferenceRepository


@dataclass(frozen=True)
class Profile:
    """Who is calling, and until when their browser session lasts (None with a token)."""

    user: User
    session_expires_at: datetime | None


class AccountService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.repo = AuthRepository(session)

    async def _user(self, user_id: str) -> User:
        user = await ReferenceRepository(self.session).user(user_id)
        if user is None:
            raise NotFound("Utilisateur introuvable.")
        return user

    async def profile(self, caller: Caller, session_id: str | None) -> Profile:
        """The caller's account, and the end of the session they came with, if any."""
        user = await self._user(caller.id)
        expires = await session_expiry(self.session, session_id) if session_id else None
        return Profile(user, expires)

    async def set_active(self, user_id: str, active: bool, by: Caller) -> User:
        """(De)activate a user; deactivation revokes every token and session at once."""
        user = await self._user(user_id)
        if not active and user_id == by.id:
            raise Conflict("Vous ne pouvez pas désactiver votre propre compte.")
        user.active = active
        if not active:
            now = utcnow()
            await self.repo.revoke_tokens(user_id, now)
            await self.repo.revoke_sessions(user_id, now)
            await self.repo.revoke_activations(user_id, now)
        action = Action.USER_REACTIVATED if active else Action.USER_DEACTIVATED
        await record(self.session, by.id, action, user_id)
        return user

    async def tokens(self, user_id: str) -> list[ApiToken]:
        """The user's personal API tokens, revoked ones included (never their values)."""
        await self._user(user_id)
        return await self.repo.tokens(user_id)

    async def create_own_token(self, caller: Caller, label: str) -> IssuedToken:
        """A new personal API token for the caller themselves, shown once."""
        return await create_token(self.session, caller.id, label, actor_id=caller.id)

    async def revoke_token(self, user_id: str, token_id: str, by: Caller) -> None:
        """Revoke one of `user_id`'s tokens (idempotent); another user's is `NotFound`."""
        token = await self.repo.token(token_id)
        if token is None or token.user_id != user_id:
            raise NotFound("Jeton introuvable.")
        if token.revoked_at is None:
            token.revoked_at = utcnow()
            await record(self.session, by.id, Action.TOKEN_REVOKED, user_id, token_id=token_id)

    async def end_session(self, session_id: str) -> None:
        """Close one browser session (logout)."""
        await end_session(self.session, session_id)
