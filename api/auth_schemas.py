"""Request and response bodies of authentication: login, session, passwords, tokens,
account activation and the admin audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from api.schemas import UserOut
from filrouge.core.passwords import MAX_LENGTH

# Not stripped, unlike other texts: spaces are part of a password.
Password = Annotated[str, Field(min_length=1, max_length=MAX_LENGTH)]


class Secret(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LoginIn(Secret):
    email: Annotated[str, Field(min_length=3, max_length=320)]
    password: Password


class SessionOut(BaseModel):
    """An open session; `csrf_token` (also in the readable cookie) goes in `X-CSRF-Token`."""

    user: UserOut
    csrf_token: str
    expires_at: datetime


class MeOut(BaseModel):
    user: UserOut
    authenticated_by: Literal["session", "jeton"]
    session_expires_at: datetime | None = None


class PasswordChangeIn(Secret):
    current_password: Password
    new_password: Password


class ActivationIn(Secret):
    """The token of the activation link (its `jeton` parameter) and the password chosen."""

    token: Annotated[str, Field(min_length=20, max_length=200)]
    password: Password


class ActivationOut(BaseModel):
    """Whether the activation mail left, and until when its link works."""

    sent: bool
    expires_at: datetime
    message: str


class CreatedUserOut(BaseModel):
    """A new user: no credential, only the activation link mailed to them."""

    user: UserOut
    activation: ActivationOut


class TokenCreateIn(Secret):
    label: Annotated[str, Field(max_length=100)] = ""


class AdminAuditOut(BaseModel):
    """One credential action of the admin audit log (`actor_id` null: the command line)."""

    model_config = ConfigDict(from_attributes=True)

    at: datetime
    actor_id: str | None
    action: str
    target_user_id: str | None
    details: dict[str, Any]


class TokenInfoOut(BaseModel):
    """A personal API token as listed: never the token itself."""

    model_config = ConfigDict(from_attributes=True)

    token_id: str = Field(validation_alias="id")
    label: str
    created_at: datetime
    revoked_at: datetime | None
