"""Accounts without borrowed credentials: an administrator creates a user, the user receives
a one-use activation link by e-mail and sets their own password; nobody else ever reads or
sets it. Mails are sent after the transaction commits, with no transaction open."""

from __future__ import annotations

import logging
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from filrouge.core.caller import Caller
from filrouge.core.clock import utcnow
from filrouge.core.errors import Conflict, Invalid, NotFound
from filrouge.core.passwords import hash_password, password_problem
from filrouge.mail.mailer import Mailer, SmtpError, message_id_for
from filrouge.services.auth.audit import Action, record
from filrouge.services.auth.hashing import digest
from filrouge.services.auth.passwords import store_password
from filrouge.services.reference.admin import ReferenceService, UserFields
from filrouge.settings import AuthSettings
from filrouge.store.auth_repository import AuthRepository
from filrouge.store.engine import transaction
from filrouge.store.models import AccountActivation, User
from filrouge.store.repositories import ReferenceRepository

log = logging.getLogger(__name__)
LINK_INVALID = (
    "Lien d'activation invalide, déjà utilisé ou expiré : "
    "demandez-en un nouveau à un administrateur."
)


@dataclass(frozen=True)
class IssuedActivation:
    id: str
    token: str
    expires_at: datetime


@dataclass(frozen=True)
class ActivationSent:
    """What the administrator learns: whether the mail left, and until when the link works."""

    sent: bool
    expires_at: datetime
    message: str


class Onboarding:
    """New accounts and their activation links; each in its own transactions, the mail
    sent with none open."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        settings: AuthSettings,
        mailer: Mailer,
        public_url: str,
    ) -> None:
        self.sessions, self.settings = sessions, settings
        self.mailer, self.public_url = mailer, public_url.rstrip("/")

    async def create_user(self, new: UserFields, by: Caller) -> tuple[User, ActivationSent]:
        """Create a user with no credential at all, and mail them an activation link."""
        async with transaction(self.sessions) as session:
            user = await ReferenceService(session).create_user(new)
            details = {"role": user.role, "platform_id": user.platform_id}
            await record(session, by.id, Action.USER_CREATED, user.id, **details)
            issued = await self._issue(session, user.id, by.id)
        return user, await self._deliver(user, issued, by.id)

    async def resend(self, user_id: str, by: Caller) -> ActivationSent:
        """A new link (a forgotten password, an expired link); earlier links stop working."""
        async with transaction(self.sessions) as session:
            user = await ReferenceRepository(session).user(user_id)
            if user is None:
                raise NotFound("Utilisateur introuvable.")
            if not user.active:
                raise Conflict(
                    "Ce compte est désactivé : réactivez-le avant de lui envoyer un lien."
                )
            issued = await self._issue(session, user.id, by.id)
        return await self._deliver(user, issued, by.id)

    async def _issue(
        self, session: AsyncSession, user_id: str, actor_id: str | None
    ) -> IssuedActivation:
        now = utcnow()
        repo = AuthRepository(session)
        await repo.revoke_activations(user_id, now)
        issued = IssuedActivation(
            id=f"a{uuid.uuid4().hex[:15]}",
            token=secrets.token_urlsafe(32),
            expires_at=now + self.settings.activation_lifetime,
        )
        row = AccountActivation(
            id=issued.id,
            user_id=user_id,
            token_hash=digest(issued.token),
            created_by=actor_id,
            created_at=now,
            expires_at=issued.expires_at,
            used_at=None,
            revoked_at=None,
        )
        await repo.add(row)
        return issued

    async def _deliver(self, user: User, issued: IssuedActivation, actor_id: str) -> ActivationSent:
        reason = await self._send(user, issued)
        async with transaction(self.sessions) as session:
            action = Action.ACTIVATION_SENT if reason is None else Action.ACTIVATION_NOT_SENT
            details = {"activation_id": issued.id} | ({"reason": reason} if reason else {})
            await record(session, actor_id, action, user.id, **details)
        if reason is None:
            message = "Un lien d'activation a été envoyé par courriel à l'utilisateur."
        else:
            log.warning("Activation mail for user %s not sent: %s", user.id, reason)
            message = (
                "Le courriel d'activation n'a pas pu être envoyé "
                f"({reason}) : renvoyez un lien plus tard."
            )
        return ActivationSent(sent=reason is None, expires_at=issued.expires_at, message=message)

    async def _send(self, user: User, issued: IssuedActivation) -> str | None:
        """None once sent; otherwise the reason (no address in it)."""
        async with transaction(self.sessions) as session:
            platforms = ReferenceRepository(session)
            platform = await platforms.platform(user.platform_id) if user.platform_id else None
        link = f"{self.public_url}/activation?{urlencode({'jeton': issued.token})}"
        mail = self.mailer.render(
            "account_activation",
            {
                "display_name": user.display_name,
                "activation_url": link,
                "expires_at": issued.expires_at,
                "platform_name": platform.name if platform else "administration",
                "time_zone": platform.zone_name if platform else None,
            },
        )
        sender = self.mailer.smtp.sender
        message_id = message_id_for(f"activation|{issued.id}", sender)
        try:
            await self.mailer.send(
                self.mailer.message(mail, to=[user.email], message_id=message_id)
            )
        except SmtpError as exc:
            return exc.reason
        return None

    async def activate(self, token: str, password: str) -> None:
        """The user sets their own password with the link's token; the link is used up."""
        now = utcnow()
        async with transaction(self.sessions) as session:
            activation = await AuthRepository(session).activation_by_token(digest(token))
            users = ReferenceRepository(session)
            user = await users.user(activation.user_id) if activation else None
            if activation is None or user is None or not _usable(activation, user, now):
                raise Invalid(LINK_INVALID)
            problem = password_problem(password, self.settings.password_min_length, user.email)
            if problem:
                raise Invalid(problem)
            activation_id, user_id = activation.id, user.id
        password_hash = await hash_password(password)
        async with transaction(self.sessions) as session:
            if not await AuthRepository(session).use_activation(activation_id, utcnow()):
                raise Invalid(LINK_INVALID)
            await store_password(session, user_id, password_hash)
            await record(session, user_id, Action.ACTIVATED, user_id, activation_id=activation_id)


def _usable(activation: AccountActivation, user: User, now: datetime) -> bool:
    return (
        activation.used_at is None
        and activation.revoked_at is None
        and now < activation.expires_at
        and user.active
    )
