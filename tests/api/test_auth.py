"""Password login to a session cookie: cookies, CSRF, expiry, logout, throttling, revocation
of tokens and sessions, deactivated users, passwords, and the security headers."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.testing import WorkflowEnvironment

from api.sessions import digest
from filrouge.core import passwords
from filrouge.settings import AuthSettings
from filrouge.store.engine import transaction
from filrouge.store.models import User, UserSession
from tests.api.auth_helpers import PASSWORD, AuthApi, auth_api, csrf, login


@pytest.fixture(scope="module")
async def auth(
    dev_env: WorkflowEnvironment, database_url: str, sessions: async_sessionmaker[AsyncSession]
) -> AsyncIterator[AuthApi]:
    async with auth_api(dev_env, database_url, sessions) as api:
        yield api


MINUTE = timedelta(minutes=1)


def _platform() -> dict[str, str]:
    return {"id": f"auth-{uuid.uuid4().hex[:8]}", "name": "PSAD"}


def _set_cookie(response: httpx.Response, name: str) -> str:
    return next(h for h in response.headers.get_list("set-cookie") if h.startswith(f"{name}="))


# ---------------------------------------------------------------- login and cookies


async def test_login_opens_a_session_kept_hashed_with_safe_cookies(
    auth: AuthApi, sessions: async_sessionmaker[AsyncSession]
) -> None:
    user = await auth.user()
    async with auth.browser() as browser:
        response = await login(browser, user["email"].upper())  # e-mail case does not matter
        me = await browser.get("/auth/me")

    assert response.status_code == 200, response.text
    assert response.json()["user"]["id"] == user["id"]
    session_cookie = _set_cookie(response, "filrouge_session").lower()
    assert "httponly" in session_cookie and "samesite=lax" in session_cookie
    assert "path=/" in session_cookie and "secure" not in session_cookie  # http dev
    csrf_cookie = _set_cookie(response, "filrouge_csrf").lower()
    assert "httponly" not in csrf_cookie  # the page's script reads it
    assert response.json()["csrf_token"] == response.cookies["filrouge_csrf"]
    assert me.status_code == 200
    assert me.json()["user"]["id"] == user["id"]
    assert me.json()["authenticated_by"] == "session"
    token = response.cookies["filrouge_session"]
    async with transaction(sessions) as session:
        row = await session.get(User, user["id"])
        stored = (await session.execute(select(UserSession.token_hash))).scalars().all()
    assert row is not None and row.password_hash and row.password_hash.startswith("$argon2id$")
    assert digest(token) in stored and token not in stored


async def test_over_https_cookies_are_secure_and_hsts_is_sent(
    dev_env: WorkflowEnvironment, database_url: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    async with auth_api(dev_env, database_url, sessions, AuthSettings(https=True)) as api:
        user = await api.user()
        async with api.browser("https://filrouge.test") as browser:
            response = await login(browser, user["email"])
            me = await browser.get("/auth/me")

    assert response.status_code == 200
    assert "secure" in _set_cookie(response, "filrouge_session").lower()
    assert "secure" in _set_cookie(response, "filrouge_csrf").lower()
    assert me.headers["strict-transport-security"] == "max-age=31536000"


async def test_wrong_password_and_unknown_email_get_the_same_answer_in_similar_time(
    auth: AuthApi,
) -> None:
    # Timing is what this test is about: Argon2 at its production cost, as on a real server,
    # for the user's own hash and for the dummy check of an unknown address.
    cheap = passwords.current_cost()
    passwords.use_cost(passwords.PRODUCTION_COST)
    try:
        await _same_answer_in_similar_time(auth)
    finally:
        passwords.use_cost(cheap)


async def _same_answer_in_similar_time(auth: AuthApi) -> None:
    user = await auth.user()
    wrong, unknown = [], []
    for _ in range(3):
        async with auth.browser() as browser:
            started = time.perf_counter()
            wrong.append((await login(browser, user["email"], "pas le bon"), started))
            wrong[-1] = (wrong[-1][0], time.perf_counter() - started)
            started = time.perf_counter()
            response = await login(browser, f"x-{uuid.uuid4().hex[:6]}@region.fr", "pas le bon")
            unknown.append((response, time.perf_counter() - started))

    for response, _ in wrong + unknown:
        assert response.status_code == 401
        assert response.json()["message"] == "Adresse électronique ou mot de passe incorrect."
        assert "set-cookie" not in response.headers
    # Without the dummy Argon2 check, an unknown e-mail answers many times faster. The quickest
    # of each kind: a loaded machine only ever adds time, to any of them.
    assert min(t for _, t in unknown) > 0.3 * min(t for _, t in wrong)


async def test_a_user_without_password_cannot_log_in(auth: AuthApi) -> None:
    user = await auth.user(password=None)
    async with auth.browser() as browser:
        response = await login(browser, user["email"], "")
        empty = await login(browser, user["email"], "n'importe quoi")

    assert response.status_code == 422  # an empty password is not even tried
    assert empty.status_code == 401


# ---------------------------------------------------------------- throttling


@pytest.fixture(scope="module")
async def throttled(
    dev_env: WorkflowEnvironment, database_url: str, sessions: async_sessionmaker[AsyncSession]
) -> AsyncIterator[AuthApi]:
    settings = AuthSettings(
        login_failure_window=timedelta(seconds=5),
        login_max_failures_per_account=5,
        login_max_failures_per_ip=6,
    )
    async with auth_api(dev_env, database_url, sessions, settings) as api:
        yield api


async def test_five_failures_lock_the_account_even_with_the_right_password(
    throttled: AuthApi,
) -> None:
    user, other = await throttled.user(), await throttled.user()
    for _ in range(5):  # from five different addresses: the account itself is protected
        async with throttled.browser() as browser:
            assert (await login(browser, user["email"], "devine")).status_code == 401
    async with throttled.browser() as browser:
        locked = await login(browser, user["email"])
        other_account = await login(browser, other["email"])

    assert locked.status_code == 429
    assert locked.json()["message"].startswith("Trop de tentatives de connexion infructueuses.")
    assert 1 <= int(locked.headers["retry-after"]) <= 5
    assert "set-cookie" not in locked.headers
    assert other_account.status_code == 200
    await asyncio.sleep(int(locked.headers["retry-after"]) + 0.2)
    async with throttled.browser() as browser:
        assert (await login(browser, user["email"])).status_code == 200


async def test_an_unknown_email_is_locked_the_same_way(throttled: AuthApi) -> None:
    email = f"personne-{uuid.uuid4().hex[:6]}@region.fr"
    async with throttled.browser() as browser:
        answers = [(await login(browser, email, "devine")).status_code for _ in range(6)]

    assert answers == [401] * 5 + [429]


async def test_many_failures_from_one_address_lock_that_address_only(throttled: AuthApi) -> None:
    user = await throttled.user()
    async with throttled.browser() as attacker:
        for _ in range(6):  # six different accounts, one address
            email = f"cible-{uuid.uuid4().hex[:6]}@region.fr"
            assert (await login(attacker, email, "devine")).status_code == 401
        from_attacker = await login(attacker, user["email"])
    async with throttled.browser() as elsewhere:
        from_elsewhere = await login(elsewhere, user["email"])

    assert from_attacker.status_code == 429
    assert from_elsewhere.status_code == 200


# ---------------------------------------------------------------- CSRF


async def test_cookie_authenticated_writes_need_the_csrf_token(auth: AuthApi) -> None:
    user = await auth.user()
    async with auth.browser() as browser:
        await login(browser, user["email"])
        without = await browser.post("/admin/platforms", json=_platform())
        forged = await browser.post(
            "/admin/platforms", json=_platform(), headers={"X-CSRF-Token": "devine"}
        )
        other_site = await browser.post(
            "/admin/platforms",
            json=_platform(),
            headers=csrf(browser, auth.settings) | {"Origin": "https://evil.example"},
        )
        same_site = await browser.post(
            "/admin/platforms",
            json=_platform(),
            headers=csrf(browser, auth.settings) | {"Origin": "http://filrouge.test"},
        )
        read = await browser.get("/admin/platforms")

    assert without.status_code == forged.status_code == 403
    assert "Jeton CSRF absent ou invalide" in without.json()["message"]
    assert other_site.status_code == 403
    assert other_site.json()["message"] == "Origine de la requête non autorisée."
    assert same_site.status_code == 201
    assert read.status_code == 200  # reads need no CSRF token


async def test_a_bearer_token_needs_no_csrf_token(auth: AuthApi) -> None:
    async with auth.browser() as http:
        response = await http.post("/admin/platforms", json=_platform(), headers=auth.admin.headers)

    assert response.status_code == 201


async def test_login_from_another_site_is_refused(auth: AuthApi) -> None:
    user = await auth.user()
    async with auth.browser() as browser:
        response = await browser.post(
            "/auth/login",
            json={"email": user["email"], "password": PASSWORD},
            headers={"Origin": "https://evil.example"},
        )

    assert response.status_code == 403
    assert "set-cookie" not in response.headers


# ---------------------------------------------------------------- expiry and logout


async def age_sessions(
    sessions: async_sessionmaker[AsyncSession],
    user_id: str,
    since_login: timedelta,
    since_last_request: timedelta,
) -> None:
    """Put this user's sessions where they would be after `since_login`, their last request
    `since_last_request` ago: the server reads the real clock, the rows move back instead."""
    async with transaction(sessions) as session:
        query = select(UserSession).where(UserSession.user_id == user_id)
        for row in (await session.execute(query)).scalars():
            row.created_at -= since_login
            row.expires_at -= since_login
            row.last_seen_at -= since_last_request


async def test_a_session_ends_after_the_idle_timeout(
    auth: AuthApi, sessions: async_sessionmaker[AsyncSession]
) -> None:
    idle = AuthSettings().session_idle_timeout  # 30 minutes
    user = await auth.user()
    async with auth.browser() as browser:
        await login(browser, user["email"])
        statuses = []
        for _ in range(3):  # active: each request restarts the idle timer
            await age_sessions(sessions, user["id"], idle * 2 / 3, idle * 2 / 3)
            statuses.append((await browser.get("/auth/me")).status_code)
        await age_sessions(sessions, user["id"], idle + MINUTE, idle + MINUTE)
        expired = await browser.get("/auth/me")

    assert statuses == [200, 200, 200]  # two timeouts after the login, alive all along
    assert expired.status_code == 401
    assert expired.json()["message"] == "Session expirée ou fermée : reconnectez-vous."


async def test_a_session_ends_after_its_lifetime_even_when_active(
    auth: AuthApi, sessions: async_sessionmaker[AsyncSession]
) -> None:
    lifetime = AuthSettings().session_lifetime  # 10 hours
    user = await auth.user()
    async with auth.browser() as browser:
        response = await login(browser, user["email"])
        first = await browser.get("/auth/me")
        await age_sessions(sessions, user["id"], lifetime - MINUTE, MINUTE)
        before_the_end = await browser.get("/auth/me")
        await age_sessions(sessions, user["id"], 2 * MINUTE, timedelta())
        late = await browser.get("/auth/me")

    max_age = f"max-age={int(lifetime.total_seconds())}"
    assert max_age in _set_cookie(response, "filrouge_session").lower()
    assert (first.status_code, before_the_end.status_code) == (200, 200)
    assert late.status_code == 401


async def test_logout_ends_the_session_for_good(auth: AuthApi) -> None:
    user = await auth.user()
    async with auth.browser() as browser:
        await login(browser, user["email"])
        stolen = browser.cookies["filrouge_session"]
        without_csrf = await browser.post("/auth/logout")
        response = await browser.post("/auth/logout", headers=csrf(browser, auth.settings))
    async with auth.browser() as replay:
        replay.cookies.set("filrouge_session", stolen)
        reused = await replay.get("/auth/me")

    assert without_csrf.status_code == 403
    assert response.status_code == 204
    assert "max-age=0" in _set_cookie(response, "filrouge_session").lower()
    assert reused.status_code == 401


# ---------------------------------------------------------------- revocation


async def test_a_revoked_token_is_refused_at_once(auth: AuthApi) -> None:
    user = await auth.user(password=None)
    bearer = {"Authorization": f"Bearer {user['token']['token']}"}
    async with auth.browser() as http:
        before = await http.get("/auth/me", headers=bearer)
        listed = await http.get("/auth/tokens", headers=bearer)
        revoked = await http.delete(f"/auth/tokens/{user['token']['token_id']}", headers=bearer)
        after = await http.get("/auth/me", headers=bearer)

    assert before.status_code == 200 and before.json()["authenticated_by"] == "jeton"
    assert [t["token_id"] for t in listed.json()] == [user["token"]["token_id"]]
    assert "token" not in listed.json()[0]  # never the secret itself
    assert revoked.status_code == 204
    assert after.status_code == 401
    assert after.json()["message"] == "Jeton invalide ou révoqué."


async def test_an_admin_revokes_a_users_token(auth: AuthApi) -> None:
    user = await auth.user(password=None)
    bearer = {"Authorization": f"Bearer {user['token']['token']}"}
    path = f"/admin/users/{user['id']}/tokens"
    async with auth.browser() as http:
        assert (await http.get("/auth/me", headers=bearer)).status_code == 200
        revoked = await http.delete(
            f"{path}/{user['token']['token_id']}", headers=auth.admin.headers
        )
        again = await http.delete(f"{path}/{user['token']['token_id']}", headers=auth.admin.headers)
        listed = await http.get(path, headers=auth.admin.headers)
        after = await http.get("/auth/me", headers=bearer)

    assert revoked.status_code == again.status_code == 204
    assert listed.json()[0]["revoked_at"] is not None
    assert after.status_code == 401


async def test_nobody_revokes_another_users_token_as_their_own(auth: AuthApi) -> None:
    owner, other = await auth.user(password=None), await auth.user(password=None)
    async with auth.browser() as http:
        response = await http.delete(
            f"/auth/tokens/{owner['token']['token_id']}",
            headers={"Authorization": f"Bearer {other['token']['token']}"},
        )
        still = await http.get(
            "/auth/me", headers={"Authorization": f"Bearer {owner['token']['token']}"}
        )

    assert response.status_code == 404
    assert still.status_code == 200


async def test_deactivating_a_user_ends_their_sessions_and_tokens(auth: AuthApi) -> None:
    user = await auth.user()
    bearer = {"Authorization": f"Bearer {user['token']['token']}"}
    async with auth.browser() as browser, auth.browser() as http:
        await login(browser, user["email"])
        deactivated = await http.post(
            f"/admin/users/{user['id']}/deactivate", headers=auth.admin.headers
        )
        session_after = await browser.get("/auth/me")
        token_after = await http.get("/auth/me", headers=bearer)
        relogin = await login(browser, user["email"])
        reactivated = await http.post(
            f"/admin/users/{user['id']}/reactivate", headers=auth.admin.headers
        )
        token_later = await http.get("/auth/me", headers=bearer)
        login_later = await login(browser, user["email"])
        self_off = await http.post(
            f"/admin/users/{auth.admin.id}/deactivate", headers=auth.admin.headers
        )

    assert deactivated.status_code == 200 and deactivated.json()["active"] is False
    assert session_after.status_code == token_after.status_code == 401
    assert relogin.status_code == 401
    assert relogin.json()["message"] == "Adresse électronique ou mot de passe incorrect."
    assert reactivated.json()["active"] is True
    assert token_later.status_code == 401  # revoked tokens stay revoked
    assert login_later.status_code == 200
    assert self_off.status_code == 409


# ---------------------------------------------------------------- passwords


async def test_changing_ones_password_closes_the_other_sessions(auth: AuthApi) -> None:
    user = await auth.user()
    new = "une phrase de passe toute neuve"
    async with auth.browser() as laptop, auth.browser() as phone:
        await login(laptop, user["email"])
        await login(phone, user["email"])
        headers = csrf(laptop, auth.settings)
        wrong = await laptop.put(
            "/auth/password",
            json={"current_password": "pas le bon", "new_password": new},
            headers=headers,
        )
        short = await laptop.put(
            "/auth/password",
            json={"current_password": PASSWORD, "new_password": "court"},
            headers=headers,
        )
        changed = await laptop.put(
            "/auth/password",
            json={"current_password": PASSWORD, "new_password": new},
            headers=headers,
        )
        laptop_after = await laptop.get("/auth/me")
        phone_after = await phone.get("/auth/me")
        old = await login(phone, user["email"])
        fresh = await login(phone, user["email"], new)

    assert wrong.status_code == 422
    assert wrong.json()["message"] == "Mot de passe actuel incorrect."
    assert short.status_code == 422
    assert short.json()["message"] == "Le mot de passe doit contenir au moins 12 caractères."
    assert changed.status_code == 204
    assert laptop_after.status_code == 200
    assert phone_after.status_code == 401
    assert old.status_code == 401 and fresh.status_code == 200


async def test_a_forgotten_password_is_reset_by_the_user_through_a_new_link(
    auth: AuthApi,
) -> None:
    user = await auth.user()
    path = f"/admin/users/{user['id']}/activation"
    async with auth.browser() as browser, auth.browser() as http:
        await login(browser, user["email"])
        resent = await http.post(path, headers=auth.admin.headers)
        token = auth.activation_token(user["email"])
        weak = await http.post(
            "/auth/activation", json={"token": token, "password": "aaaaaaaaaaaaaaa"}
        )
        reset = await http.post(
            "/auth/activation", json={"token": token, "password": "remise à zéro 2026"}
        )
        after = await browser.get("/auth/me")
        fresh = await login(browser, user["email"], "remise à zéro 2026")
        unknown = await http.post("/admin/users/u-inconnu/activation", headers=auth.admin.headers)

    assert resent.status_code == 200
    assert (
        weak.status_code == 422 and weak.json()["message"] == "Le mot de passe est trop répétitif."
    )
    assert reset.status_code == 204
    assert after.status_code == 401  # the sessions opened with the old password end
    assert fresh.status_code == 200
    assert unknown.status_code == 404


# ---------------------------------------------------------------- security headers


async def test_every_answer_carries_the_security_headers(auth: AuthApi) -> None:
    async with auth.browser() as http:
        answers = [
            await http.get("/health"),
            await http.get("/auth/me"),  # 401
            await http.get("/nulle-part"),  # 404
            await http.get("/admin/users", headers=auth.admin.headers),
        ]
        docs = await http.get("/docs")

    for response in answers:
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["referrer-policy"] == "no-referrer"
        assert response.headers["cache-control"] == "no-store"
        csp = response.headers["content-security-policy"]
        assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
        assert "script-src" not in csp
        assert "strict-transport-security" not in response.headers  # plain http here
    assert docs.status_code == 200
    assert (
        "script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net"
        in docs.headers["content-security-policy"]
    )
