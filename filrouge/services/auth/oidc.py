"""OpenID Connect logins: the flows started (state, nonce, PKCE verifier, used once) and the
resolution of a validated identity to the one existing active user with its e-mail.
Nobody is created by it. Talking to the provider and the browser is the door's part."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from filrouge.core.clock import utcnow
from filrouge.core.errors import Forbidden, NotAuthenticated
from filrouge.services.auth.hashing import digest
from filrouge.services.auth.sessions import OpenedSession, open_session
from filrouge.settings import AuthSettings, OidcSettings
from filrouge.store.auth_repository import AuthRepository
from filrouge.store.engine import transaction
from filrouge.store.models import OidcLoginFlow, User

FLOW_LIFETIME = timedelta(minutes=10)
BAD_STATE = "Connexion expirée ou invalide : recommencez la connexion."
NO_ACCOUNT = (
    "Aucun compte actif de Fil rouge ne correspond à cette identité : "
    "demandez à un administrateur d'ouvrir le vôtre."
)


@dataclass(frozen=True)
class OidcFlow:
    """What a started login must find again when the provider sends the browser back."""

    nonce: str
    code_verifier: str
    redirect_url: str


class OidcLogins:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        settings: OidcSettings,
        auth: AuthSettings,
    ) -> None:
        self.sessions, self.settings, self.auth = sessions, settings, auth

    async def begin(self, state: str, flow: OidcFlow) -> None:
        """Remember a login just started (its state stored hashed); old ones are forgotten."""
        now = utcnow()
        async with transaction(self.sessions) as session:
            repo = AuthRepository(session)
            await repo.purge_oidc_flows(now - FLOW_LIFETIME)
            row = OidcLoginFlow(
                state_hash=digest(state),
                nonce=flow.nonce,
                code_verifier=flow.code_verifier,
                redirect_url=flow.redirect_url,
                created_at=now,
            )
            await repo.add(row)

    async def take(self, state: str) -> OidcFlow:
        """The login started with this state, used once and not expired."""
        async with transaction(self.sessions) as session:
            row = await AuthRepository(session).take_oidc_flow(digest(state))
        if row is None or row.created_at < utcnow() - FLOW_LIFETIME:
            raise NotAuthenticated(BAD_STATE)
        return OidcFlow(row.nonce, row.code_verifier, row.redirect_url)

    async def open_session(self, claims: dict[str, Any]) -> OpenedSession:
        """A session for the user of these validated ID token claims."""
        async with transaction(self.sessions) as session:
            user = await self._user_for(AuthRepository(session), claims)
            return await open_session(session, self.auth, user, "oidc")

    async def _user_for(self, repo: AuthRepository, claims: dict[str, Any]) -> User:
        """The one active user with the identity's e-mail (verified, of an allowed domain)."""
        email = claims.get(self.settings.email_claim)
        if not isinstance(email, str) or "@" not in email:
            raise Forbidden(NO_ACCOUNT)
        if self.settings.require_verified_email and claims.get("email_verified") is not True:
            raise Forbidden("Adresse électronique non vérifiée par le fournisseur d'identité.")
        domains = self.settings.domains()
        if domains and email.rsplit("@", 1)[1].lower() not in domains:
            raise Forbidden(NO_ACCOUNT)
        users = await repo.active_users_by_email(email)
        if len(users) != 1:  # none, or ambiguous: never guess whose account it is
            raise Forbidden(NO_ACCOUNT)
        return users[0]
