"""Queries on credentials: passwords, browser sessions, login failures, tokens, OIDC flows."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from filrouge.store.models import (
    AccountActivation,
    AdminAuditEvent,
    ApiToken,
    LoginFailure,
    OidcLoginFlow,
    User,
    UserSession,
)


class AuthRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, *rows: object) -> None:
        self.session.add_all(rows)
        await self.session.flush()

    async def active_users_by_email(self, email: str) -> list[User]:
        """Active users whose e-mail is `email` (case-insensitive); usually at most one."""
        query = (
            select(User)
            .where(func.lower(User.email) == email.lower(), User.active.is_(True))
            .order_by(User.id)
        )
        return list((await self.session.execute(query)).scalars())

    async def session_by_token(self, token_hash: str) -> UserSession | None:
        query = select(UserSession).where(UserSession.token_hash == token_hash)
        return (await self.session.execute(query)).unique().scalar_one_or_none()

    async def session_by_id(self, session_id: str) -> UserSession | None:
        return await self.session.get(UserSession, session_id)

    async def revoke_sessions(
        self, user_id: str, at: datetime, keep_session_id: str | None = None
    ) -> None:
        """Close every open session of a user (but `keep_session_id`)."""
        query = update(UserSession).where(
            UserSession.user_id == user_id, UserSession.revoked_at.is_(None)
        )
        if keep_session_id:
            query = query.where(UserSession.id != keep_session_id)
        await self.session.execute(query.values(revoked_at=at))

    async def revoke_tokens(self, user_id: str, at: datetime) -> None:
        query = update(ApiToken).where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
        await self.session.execute(query.values(revoked_at=at))

    async def delete_expired_sessions(self, before: datetime) -> None:
        """Forget sessions that ended before `before` (kept a while for the record)."""
        await self.session.execute(delete(UserSession).where(UserSession.expires_at < before))

    async def tokens(self, user_id: str) -> list[ApiToken]:
        query = select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.created_at)
        return list((await self.session.execute(query)).unique().scalars())

    async def token(self, token_id: str) -> ApiToken | None:
        return await self.session.get(ApiToken, token_id)

    async def failures_since(self, key: str, since: datetime) -> list[datetime]:
        """When the recent failures of `key` happened, oldest first."""
        query = (
            select(LoginFailure.at)
            .where(LoginFailure.key == key, LoginFailure.at >= since)
            .order_by(LoginFailure.at)
        )
        return list((await self.session.execute(query)).scalars())

    async def lock_throttle_keys(self, keys: list[str]) -> None:
        """Serialise the attempts on these keys until the transaction ends (PostgreSQL; SQLite
        takes its write lock at BEGIN). Keys are taken in order: no deadlock."""
        if self.session.get_bind().dialect.name != "postgresql":
            return
        for key in sorted(keys):
            lock = text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))")
            await self.session.execute(lock, {"key": key})

    async def move_failures(self, ids: list[int], at: datetime) -> None:
        query = update(LoginFailure).where(LoginFailure.id.in_(ids)).values(at=at)
        await self.session.execute(query)

    async def delete_failures(self, ids: list[int]) -> None:
        await self.session.execute(delete(LoginFailure).where(LoginFailure.id.in_(ids)))

    async def forget_failures(self, key: str) -> None:
        await self.session.execute(delete(LoginFailure).where(LoginFailure.key == key))

    async def purge_failures(self, before: datetime) -> None:
        await self.session.execute(delete(LoginFailure).where(LoginFailure.at < before))

    async def take_oidc_flow(self, state_hash: str) -> OidcLoginFlow | None:
        """The flow of this state, removed so that it is used once."""
        flow = await self.session.get(OidcLoginFlow, state_hash)
        if flow is not None:
            await self.session.delete(flow)
            await self.session.flush()
        return flow

    async def purge_oidc_flows(self, before: datetime) -> None:
        await self.session.execute(delete(OidcLoginFlow).where(OidcLoginFlow.created_at < before))

    async def activation_by_token(self, token_hash: str) -> AccountActivation | None:
        query = select(AccountActivation).where(AccountActivation.token_hash == token_hash)
        return (await self.session.execute(query)).scalar_one_or_none()

    async def revoke_activations(self, user_id: str, at: datetime) -> None:
        """Cancel the user's activation links not used yet."""
        query = update(AccountActivation).where(
            AccountActivation.user_id == user_id,
            AccountActivation.used_at.is_(None),
            AccountActivation.revoked_at.is_(None),
        )
        await self.session.execute(query.values(revoked_at=at))

    async def use_activation(self, activation_id: str, at: datetime) -> bool:
        """Mark the link used; False when it was used or revoked meanwhile (one use only)."""
        query = (
            update(AccountActivation)
            .where(
                AccountActivation.id == activation_id,
                AccountActivation.used_at.is_(None),
                AccountActivation.revoked_at.is_(None),
            )
            .values(used_at=at)
        )
        result = await self.session.execute(query)
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def admin_audit(
        self, target_user_id: str | None = None, limit: int = 100, offset: int = 0
    ) -> list[AdminAuditEvent]:
        """Credential actions, newest first."""
        query = select(AdminAuditEvent).order_by(AdminAuditEvent.id.desc())
        if target_user_id:
            query = query.where(AdminAuditEvent.target_user_id == target_user_id)
        return list((await self.session.execute(query.limit(limit).offset(offset))).scalars())
