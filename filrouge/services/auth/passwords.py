"""Passwords: login with throttling, and a user changing their own password."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from filrouge.core.caller import Caller
from filrouge.core.clock import utcnow
from filrouge.core.errors import Invalid, NotAuthenticated, NotFound
from filrouge.core.passwords import hash_password, needs_rehash, password_problem, verify_password
from filrouge.services.auth.audit import Action, record
from filrouge.services.auth.sessions import OpenedSession, open_session
from filrouge.services.auth.throttle import LoginThrottle
from filrouge.settings import AuthSettings
from filrouge.store.auth_repository import AuthRepository
from filrouge.store.engine import transaction
from filrouge.store.models import User
from filrouge.store.repositories import ReferenceRepository

BAD_CREDENTIALS = "Adresse électronique ou mot de passe incorrect."
WRONG_CURRENT = "Mot de passe actuel incorrect."
NO_PASSWORD = (
    "Aucun mot de passe n'est défini pour ce compte : demandez à un "
    "administrateur un lien d'activation pour en choisir un."
)


class AuthService:
    """Logins and password changes run in their own short transactions: the attempt is
    counted before Argon2 runs (with no transaction open) and forgiven when it succeeds."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], settings: AuthSettings) -> None:
        self.sessions, self.settings = sessions, settings
        self.throttle = LoginThrottle(settings)

    async def login(self, email: str, password: str, ip: str) -> tuple[User, OpenedSession]:
        """Open a session for the active user with this e-mail and password, tried from
        address `ip`; `NotAuthenticated` or `TooManyAttempts` otherwise."""
        now = utcnow()
        async with transaction(self.sessions) as session:
            repo = AuthRepository(session)
            reservation = await self.throttle.reserve(repo, email, ip, now)
            users = [u for u in await repo.active_users_by_email(email) if u.password_hash]
        user_id = await _verified(users, password)
        async with transaction(self.sessions) as session:
            user = await ReferenceRepository(session).user(user_id) if user_id else None
            if user is not None and user.active:
                await self.throttle.succeeded(AuthRepository(session), reservation)
                if user.password_hash and needs_rehash(user.password_hash):
                    user.password_hash = await hash_password(password)
                return user, await open_session(session, self.settings, user, "password")
            await self.throttle.failed(AuthRepository(session), reservation, utcnow())
        raise NotAuthenticated(BAD_CREDENTIALS)

    async def change_password(
        self, caller: Caller, current: str, new: str, ip: str, keep_session_id: str | None
    ) -> None:
        """The caller changes their own password; their sessions but `keep_session_id` close."""
        now = utcnow()
        async with transaction(self.sessions) as session:
            user = await ReferenceRepository(session).user(caller.id)
            if user is None or user.password_hash is None:
                raise Invalid(NO_PASSWORD)
            self._check_policy(new, user.email)
            reservation = await self.throttle.reserve(AuthRepository(session), user.email, ip, now)
            old_hash = user.password_hash
        if not await verify_password(old_hash, current):
            async with transaction(self.sessions) as session:
                await self.throttle.failed(AuthRepository(session), reservation, utcnow())
            raise Invalid(WRONG_CURRENT)
        new_hash = await hash_password(new)
        async with transaction(self.sessions) as session:
            await self.throttle.succeeded(AuthRepository(session), reservation)
            await store_password(session, caller.id, new_hash, keep_session_id)
            await record(session, caller.id, Action.PASSWORD_CHANGED, caller.id)

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
    user = await ReferenceRepository(session).user(user_id)
    if user is None:
        raise NotFound("Utilisateur introuvable.")
    now = utcnow()
    user.password_hash, user.password_changed_at = password_hash, now
    await AuthRepository(session).revoke_sessions(user_id, now, keep_session_id)
