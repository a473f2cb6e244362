"""Request and response bodies of authentication: login, session, passwords, tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

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


class PasswordSetIn(Secret):
    password: Password


class TokenInfoOut(BaseModel):
    """A personal API token as listed: never the token itself."""

    model_config = ConfigDict(from_attributes=True)

    token_id: str = Field(validation_alias="id")
    label: str
    created_at: datetime
    revoked_at: datetime | None
