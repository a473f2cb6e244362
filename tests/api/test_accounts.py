"""Accounts: a new user activates their account through a one-use link mailed to them;
administrators never read nor set another person's credential; every credential action is
in the admin audit log, with no secret in it."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.testing import WorkflowEnvironment

from api.sessions import digest
from filrouge.core.clock import utcnow
from filrouge.services.auth.activation import LINK_INVALID
from filrouge.store.engine import transaction
from filrouge.store.models import AccountActivation
from tests.api.auth_helpers import BASE_URL, PASSWORD, AuthApi, auth_api, csrf, login

NEW_PASSWORD = "ma propre phrase de passe"


@pytest.fixture(scope="module")
async def auth(
    dev_env: WorkflowEnvironment, database_url: str, sessions: async_sessionmaker[AsyncSession]
) -> AsyncIterator[AuthApi]:
    async with auth_api(dev_env, database_url, sessions) as api:
        yield api


def _body(role: str = "pilote") -> dict[str, str]:
    region = {"region": "Occitanie"} if role == "pilote" else {}  # a pilot has a Région
    return (
        {"display_name": "Dominique", "email": f"d-{uuid.uuid4().hex[:8]}@region.fr"}
        | {"role": role}
        | region
    )


async def _created(auth: AuthApi) -> dict[str, Any]:
    async with auth.browser() as http:
        response = await http.post("/admin/users", json=_body(), headers=auth.admin.headers)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def _activate(auth: AuthApi, token: str, password: str = NEW_PASSWORD) -> int:
    async with auth.browser() as http:
        response = await http.post("/auth/activation", json={"token": token, "password": password})
    return response.status_code


async def test_a_new_user_sets_their_own_password_through_a_one_use_link(
    auth: AuthApi, sessions: async_sessionmaker[AsyncSession]
) -> None:
    created = await _created(auth)
    user = created["user"]
    mail = [m for m in auth.mail.messages if user["email"] in m.envelope_to][-1].message
    token = auth.activation_token(user["email"])
    async with auth.browser() as browser:
        before = await login(browser, user["email"], NEW_PASSWORD)
        weak = await browser.post("/auth/activation", json={"token": token, "password": "court"})
        activated = await browser.post(
            "/auth/activation", json={"token": token, "password": NEW_PASSWORD}
        )
        again = await browser.post("/auth/activation", json={"token": token, "password": PASSWORD})
        after = await login(browser, user["email"], NEW_PASSWORD)
    async with transaction(sessions) as session:
        rows = (await session.execute(select(AccountActivation))).scalars().all()

    assert set(created) == {"user", "activation"}  # no credential for the administrator
    assert created["activation"]["sent"] is True
    assert mail["Subject"] == "[Fil rouge] Activez votre compte"
    text = mail.get_body(("plain",))
    assert text is not None and f"{BASE_URL}/activation?jeton={token}" in text.get_content()
    assert before.status_code == 401
    assert weak.status_code == 422
    assert weak.json()["message"] == "Le mot de passe doit contenir au moins 12 caractères."
    assert activated.status_code == 204
    assert again.status_code == 422 and again.json()["message"] == LINK_INVALID
    assert after.status_code == 200
    stored = [r for r in rows if r.user_id == user["id"]]
    assert [r.token_hash for r in stored] == [digest(token)] and stored[0].used_at is not None


async def test_an_expired_or_replaced_link_is_refused_and_deactivation_stops_links(
    auth: AuthApi, sessions: async_sessionmaker[AsyncSession]
) -> None:
    expired, replaced = (await _created(auth))["user"], (await _created(auth))["user"]
    old_token = auth.activation_token(replaced["email"])
    async with transaction(sessions) as session:
        query = update(AccountActivation).where(AccountActivation.user_id == expired["id"])
        await session.execute(query.values(expires_at=utcnow() - timedelta(seconds=1)))
    async with auth.browser() as http:
        resent = await http.post(
            f"/admin/users/{replaced['id']}/activation",
            headers=auth.admin.headers,
        )
        new_token = auth.activation_token(replaced["email"])
        await http.post(f"/admin/users/{replaced['id']}/deactivate", headers=auth.admin.headers)
    expired_answer = await _activate(auth, auth.activation_token(expired["email"]))

    assert resent.status_code == 200 and resent.json()["sent"] is True
    assert new_token != old_token
    assert expired_answer == 422
    assert await _activate(auth, old_token) == 422  # replaced by the new link
    assert await _activate(auth, new_token) == 422  # the account was deactivated
    assert await _activate(auth, "x" * 43) == 422


async def test_administrators_cannot_read_or_set_anothers_credential(auth: AuthApi) -> None:
    user = await auth.user()
    async with auth.browser() as http:
        set_password = await http.put(
            f"/admin/users/{user['id']}/password",
            json={"password": "remise à zéro 2026"},
            headers=auth.admin.headers,
        )
        issue_token = await http.post(
            f"/admin/users/{user['id']}/tokens", headers=auth.admin.headers
        )
        listed = await http.get(f"/admin/users/{user['id']}/tokens", headers=auth.admin.headers)
        still = await login(http, user["email"])

    assert set_password.status_code in (404, 405)
    assert issue_token.status_code in (404, 405)
    assert all(set(t) == {"token_id", "label", "created_at", "revoked_at"} for t in listed.json())
    assert still.status_code == 200  # the user's password is untouched


async def test_a_user_creates_their_own_api_token_shown_once(auth: AuthApi) -> None:
    user = await auth.user()
    async with auth.browser() as browser:
        await login(browser, user["email"])
        created = await browser.post(
            "/auth/tokens", json={"label": "script"}, headers=csrf(browser, auth.settings)
        )
        bearer = {"Authorization": f"Bearer {created.json()['token']}"}
        me = await browser.get("/auth/me", headers=bearer)
        listed = await browser.get("/auth/tokens")

    assert created.status_code == 201 and created.json()["token"].startswith("fr_")
    assert me.json()["user"]["id"] == user["id"] and me.json()["authenticated_by"] == "jeton"
    assert "script" in [t["label"] for t in listed.json()]
    assert created.json()["token"] not in listed.text


async def test_every_credential_action_is_in_the_admin_audit_log_without_secrets(
    auth: AuthApi,
) -> None:
    user = await auth.user()  # created, activation sent, activated, own token created
    token = user["token"]
    async with auth.browser() as browser, auth.browser() as http:
        await login(browser, user["email"])
        changed = await browser.put(
            "/auth/password",
            json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
            headers=csrf(browser, auth.settings),
        )
        admin = auth.admin.headers
        path = f"/admin/users/{user['id']}"
        await http.delete(f"{path}/tokens/{token['token_id']}", headers=admin)
        await http.post(f"{path}/deactivate", headers=admin)
        await http.post(f"{path}/reactivate", headers=admin)
        audit = await http.get("/admin/audit", params={"user_id": user["id"]}, headers=admin)
        everything = await http.get("/admin/audit", params={"limit": 500}, headers=admin)
        as_user = await http.get(
            "/admin/audit", headers={"Authorization": f"Bearer {token['token']}"}
        )

    assert changed.status_code == 204
    events = list(reversed(audit.json()))
    assert [e["action"] for e in events] == [
        "user_created",
        "activation_sent",
        "activated",
        "token_created",
        "password_changed",
        "token_revoked",
        "user_deactivated",
        "user_reactivated",
    ]
    admin_id, user_id = auth.admin.id, user["id"]
    assert [e["actor_id"] for e in events] == [admin_id, admin_id, user_id, user_id, user_id] + [
        admin_id
    ] * 3
    assert all(e["target_user_id"] == user_id and e["at"] for e in events)
    text = json.dumps(everything.json())
    secrets = [token["token"], PASSWORD, NEW_PASSWORD, auth.activation_token(user["email"])]
    assert not any(secret in text for secret in secrets)
    assert as_user.status_code in (401, 403)  # a revoked token, and not an admin anyway


async def test_an_activation_mail_that_cannot_leave_is_reported_and_audited(
    dev_env: WorkflowEnvironment, database_url: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    async with auth_api(dev_env, database_url, sessions) as down:
        down.mail.stop()  # the SMTP server is down
        async with down.browser() as http:
            response = await http.post("/admin/users", json=_body(), headers=down.admin.headers)
            user_id = response.json()["user"]["id"]
            audit = await http.get(
                "/admin/audit", params={"user_id": user_id}, headers=down.admin.headers
            )

    assert response.status_code == 201
    activation = response.json()["activation"]
    assert activation["sent"] is False
    assert activation["message"].startswith("Le courriel d'activation n'a pas pu être envoyé")
    assert [e["action"] for e in audit.json()] == ["activation_not_sent", "user_created"]
    assert "@" not in json.dumps(audit.json())
