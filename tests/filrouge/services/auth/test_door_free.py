"""The auth services without any door: what the API and the pages both call, with plain
inputs, a `Caller`, and domain errors (no HTTP status, cookie or request in sight)."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from filrouge.core.caller import Caller
from filrouge.core.domain import Role
from filrouge.core.errors import NotAuthenticated, NotFound, TooManyAttempts
from filrouge.core.passwords import hash_password
from filrouge.services.auth.accounts import AccountService
from filrouge.services.auth.passwords import BAD_CREDENTIALS, AuthService, store_password
from filrouge.services.auth.sessions import resume_session
from filrouge.services.auth.tokens import create_user_with_token
from filrouge.services.reference.admin import NewUser
from filrouge.settings import AuthSettings
from filrouge.store.engine import transaction

PASSWORD = "correct cheval pile agrafe"
SETTINGS = AuthSettings(login_max_failures_per_account=2)


async def _admin(sessions: async_sessionmaker[AsyncSession]) -> tuple[Caller, str]:
    email = f"admin-{uuid.uuid4().hex[:8]}@example.org"
    async with transaction(sessions) as session:
        new = NewUser(display_name="Admin", email=email, role=Role.ADMIN)
        user, _ = await create_user_with_token(session, new, "tests")
        await store_password(session, user.id, await hash_password(PASSWORD))
    return Caller(user.id, Role.ADMIN, None, None), email


async def test_login_opens_a_session_the_door_can_resume_then_close(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    caller, email = await _admin(sessions)
    user, opened = await AuthService(sessions, SETTINGS).login(email, PASSWORD, "192.0.2.1")
    assert user.id == caller.id
    live = await resume_session(sessions, SETTINGS, opened.token)
    assert live.id == opened.id and live.user == caller
    async with transaction(sessions) as session:
        profile = await AccountService(session).profile(caller, opened.id)
        assert profile.session_expires_at == opened.expires_at
        await AccountService(session).end_session(opened.id)
    with pytest.raises(NotAuthenticated):
        await resume_session(sessions, SETTINGS, opened.token)


async def test_wrong_passwords_are_domain_errors_then_a_delay_to_wait(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    _, email = await _admin(sessions)
    service = AuthService(sessions, SETTINGS)
    for _ in range(2):
        with pytest.raises(NotAuthenticated) as refused:
            await service.login(email, "pas le bon mot de passe", "192.0.2.2")
        assert refused.value.message == BAD_CREDENTIALS
    with pytest.raises(TooManyAttempts) as throttled:
        await service.login(email, PASSWORD, "192.0.2.2")
    assert throttled.value.retry_after_seconds >= 1


async def test_tokens_are_revoked_by_an_actor_and_never_across_users(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    admin, _ = await _admin(sessions)
    other, _ = await _admin(sessions)
    async with transaction(sessions) as session:
        accounts = AccountService(session)
        issued = await accounts.create_own_token(admin, "script")
        with pytest.raises(NotFound):
            await accounts.revoke_token(other.id, issued.token_id, by=admin)
        await accounts.revoke_token(admin.id, issued.token_id, by=admin)
        revoked = {t.id: t.revoked_at for t in await accounts.tokens(admin.id)}
    assert revoked[issued.token_id] is not None
