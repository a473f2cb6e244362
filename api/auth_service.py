"""Authentication use cases: password login with throttling, own passwords, revocations."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.auth_audit import Action, record
from api.auth_throttle import LoginThrottle
from api.errors import Conflict, Invalid, NotFound, Unauthorized
from api.sessions import OpenedSession, open_session
from filrouge.core.clock import utcnow
from filrouge.core.passwords import hash_password, needs_rehash, password_problem, verify_password
from filrouge.settings import AuthSettings
from filrouge.store.auth_repository import AuthRepository
from filrouge.store.engine import transaction
from filrouge.store.models import ApiToken, User

BAD_CREDENTIALS = "Adresse électronique ou mot de passe incorrect."


class AuthService:
    """Logins and password changes run in their own short transactions: the attempt is
    counted before Argon2 runs (with no transaction open) and forgiven when it succeeds."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], settings: AuthSettings) -> None:
        self.sessions, self.settings = sessions, settings
        self.throttle = LoginThrottle(settings)

    async def login(self, email: str, password: str, ip: str) -> tuple[User, OpenedSession]:
        """Open a session for the active user with this e-mail and password."""
        now = utcnow()
        async with transaction(self.sessions) as session:
            repo = AuthRepository(session)
            reservation = await self.throttle.reserve(repo, email, ip, now)
            users = [u for u in await repo.active_users_by_email(email) if u.password_hash]
        user_id = await _verified(users, password)
        async with transaction(self.sessions) as session:
            user = await session.get(User, user_id) if user_id else None
            if user is not None and user.active:
                await self.throttle.succeeded(AuthRepository(session), reservation)
                if user.password_hash and needs_rehash(user.password_hash):
                    user.password_hash = await hash_password(password)
                return user, await open_session(session, self.settings, user, "password")
            await self.throttle.failed(AuthRepository(session), reservation, utcnow())
        raise Unauthorized(BAD_CREDENTIALS)

    async def change_password(
        self, user_id: str, session_id: str | None, current: str, new: str, ip: str
    ) -> None:
        """The user changes their own password; their other sessions are closed."""
        now = utcnow()
        async with transaction(self.sessions) as session:
            user = await session.get(User, user_id)
            if user is None or user.password_hash is None:
                raise Invalid(
                    "Aucun mot de passe n'est défini pour ce compte : demandez à un "
                    "administrateur un lien d'activation pour en choisir un."
                )
            self._check_policy(new, user.email)
            reservation = await self.throttle.reserve(AuthRepository(session), user.email, ip, now)
            old_hash = user.password_hash
        if not await verify_password(old_hash, current):
            async with transaction(self.sessions) as session:
                await self.throttle.failed(AuthRepository(session), reservation, utcnow())
            raise Invalid("Mot de passe actuel incorrect.")
        new_hash = await hash_password(new)
        async with transaction(self.sessions) as session:
            await self.throttle.succeeded(AuthRepository(session), reservation)
            await store_password(session, user_id, new_hash, keep_session_id=session_id)
            await record(session, user_id, Action.PASSWORD_CHANGED, user_id)

    def _check_policy(self, password: str, email: str) -> None:
        problem = password_problem(password, self.settings.password_min_length, email)
        if problem:
            raise Invalid(problem)


async def _verified(users: list[User], password: str) -> str | None:
    """The id of the user whose password this is; a dummy hash is checked when none exists,
    so that an unknown e-mail takes as long as a wrong password."""
    if not users:
        await verify_password(None, password)
    for user in users:
        if await verify_password(user.password_hash, password):
            return user.id
    return None


async def store_password(
    session: AsyncSession, user_id: str, password_hash: str, keep_session_id: str | None = None
) -> None:
    """Set the user's password hash and close their sessions (but `keep_session_id`)."""
    user = await session.get(User, user_id)
    if user is None:
        raise NotFound("Utilisateur introuvable.")
    now = utcnow()
    user.password_hash, user.password_changed_at = password_hash, now
    await AuthRepository(session).revoke_sessions(user_id, now, keep_session_id)


class AccountService:
    """Revocations and (de)activation, inside the request's transaction; never a credential
    handed to someone else."""

    def __init__(self, session: AsyncSession, settings: AuthSettings) -> None:
        self.session, self.settings = session, settings
        self.repo = AuthRepository(session)

    async def _user(self, user_id: str) -> User:
        user = await self.session.get(User, user_id)
        if user is None:
            raise NotFound("Utilisateur introuvable.")
        return user

    async def set_active(self, user_id: str, active: bool, by: str) -> User:
        """(De)activate a user; deactivation revokes every token and session at once."""
        user = await self._user(user_id)
        if not active and user_id == by:
            raise Conflict("Vous ne pouvez pas désactiver votre propre compte.")
        user.active = active
        if not active:
            now = utcnow()
            await self.repo.revoke_tokens(user_id, now)
            await self.repo.revoke_sessions(user_id, now)
            await self.repo.revoke_activations(user_id, now)
        action = Action.USER_REACTIVATED if active else Action.USER_DEACTIVATED
        await record(self.session, by, action, user_id)
        return user

    async def tokens(self, user_id: str) -> list[ApiToken]:
        await self._user(user_id)
        return await self.repo.tokens(user_id)

    async def revoke_token(self, user_id: str, token_id: str, by: str) -> None:
        """Revoke one of `user_id`'s tokens (idempotent); another user's answers 404."""
        token = await self.repo.token(token_id)
        if token is None or token.user_id != user_id:
            raise NotFound("Jeton introuvable.")
        if token.revoked_at is None:
            token.revoked_at = utcnow()
            await record(self.session, by, Action.TOKEN_REVOKED, user_id, token_id=token_id)

    async def end_session(self, session_id: str) -> None:
        row = await self.repo.session_by_id(session_id)
        if row is not None and row.revoked_at is None:
            row.revoked_at = utcnow()
