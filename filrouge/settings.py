"""Settings, one class per concern, read from the environment with embedded dev defaults."""

from __future__ import annotations

from datetime import timedelta
from functools import lru_cache
from pathlib import Path

from pydantic import model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DATA_DIR = Path("data")


class DatabaseSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", extra="ignore")

    database_url: str = f"sqlite+aiosqlite:///{DATA_DIR / 'filrouge.db'}"
    database_echo: bool = False


class TemporalSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TEMPORAL_", extra="ignore")

    address: str = "localhost:7233"
    namespace: str = "default"
    task_queue: str = "filrouge"
    ui_url: str = "http://localhost:8233"
    # Off only for servers without our custom search attributes (the time-skipping test server).
    search_attributes: bool = True


class SmtpSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SMTP_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = 1025
    sender: str = "Fil rouge <ne-pas-repondre@filrouge.localhost>"
    username: str | None = None
    password: str | None = None
    start_tls: bool = False
    timeout_seconds: float = 20.0
    # Waiting for the replies once a message is on its way (MAIL, RCPT, DATA): RFC 5321 gives
    # the reply to the end of DATA 10 minutes; giving up sooner may resend a message the server
    # took. Kept under the 60 s the workflows allow one send.
    send_timeout_seconds: float = 40.0


class ApiSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="API_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = 8000
    public_url: str = "http://localhost:8000"


class SecuritySettings(BaseSettings):
    """Refuses the development secret, or missing payload keys, outside development."""

    model_config = SettingsConfigDict(env_prefix="SECURITY_", extra="ignore")

    environment: str = "development"
    secret_key: str = "dev-only-not-secret"
    # Temporal payload encryption keys, `id:base64,id:base64`, the first one active
    # (docs/security.md). Empty in development: a local key is generated under data/.
    payload_keys: str = ""

    @model_validator(mode="after")
    def _no_default_secret_in_production(self) -> SecuritySettings:
        if self.environment != "development" and self.secret_key == "dev-only-not-secret":
            raise ValueError("SECURITY_SECRET_KEY must be set outside development")
        if self.environment != "development" and not self.payload_keys.strip():
            raise ValueError("SECURITY_PAYLOAD_KEYS must be set outside development")
        return self


class AuthSettings(BaseSettings):
    """Browser sessions, login throttling, passwords and security headers (docs/security.md)."""

    model_config = SettingsConfigDict(env_prefix="AUTH_", extra="ignore")

    # Served over https: cookies get `Secure` and responses carry Strict-Transport-Security.
    https: bool = False
    hsts_max_age: int = 31_536_000
    session_cookie: str = "filrouge_session"
    csrf_cookie: str = "filrouge_csrf"
    session_idle_timeout: timedelta = timedelta(minutes=30)
    session_lifetime: timedelta = timedelta(hours=10)
    login_failure_window: timedelta = timedelta(minutes=15)
    # Failures allowed before a delay: per account and address, per account across addresses
    # (counted in addresses), per address across accounts. The delay starts at
    # `login_delay_base` and doubles with each further failure, up to the window; for the
    # account as a whole, up to `login_max_delay_per_account` (nobody can lock it out).
    login_max_failures_per_account: int = 5
    login_max_failures_per_ip: int = 20
    login_delay_base: timedelta = timedelta(seconds=2)
    login_max_delay_per_account: timedelta = timedelta(minutes=1)
    password_min_length: int = 12
    # How long an activation link (sent when an administrator creates a user) works.
    activation_lifetime: timedelta = timedelta(hours=72)
    # Argon2id cost of new password hashes; the defaults are production's (RFC 9106 low
    # memory). Only the test configuration lowers them.
    argon2_time_cost: int = 3
    argon2_memory_kib: int = 65536
    argon2_parallelism: int = 4
    # Origins allowed to send cookie-authenticated writes besides the API's own, comma-separated.
    allowed_origins: str = ""

    def argon2_cost(self) -> tuple[int, int, int]:
        """Argon2id (passes, memory in KiB, lanes) for new password hashes."""
        return self.argon2_time_cost, self.argon2_memory_kib, self.argon2_parallelism

    def origins(self) -> set[str]:
        return {o.strip().rstrip("/") for o in self.allowed_origins.split(",") if o.strip()}


class PagesSettings(BaseSettings):
    """The pages for people: the time zone their dates and times are shown in."""

    model_config = SettingsConfigDict(env_prefix="PAGES_", extra="ignore")

    time_zone: str = "Europe/Paris"


class OidcSettings(BaseSettings):
    """Optional OpenID Connect login with a Région's identity provider; off without an issuer."""

    model_config = SettingsConfigDict(env_prefix="OIDC_", extra="ignore")

    issuer: str = ""
    # Discovery document; `<issuer>/.well-known/openid-configuration` when empty.
    metadata_url: str = ""
    client_id: str = ""
    client_secret: str = ""
    # The callback registered at the provider; `<request base>/auth/oidc/callback` when empty.
    redirect_url: str = ""
    scopes: str = "openid email profile"
    # The claim naming an existing user's e-mail, and the domains it may have (empty: any).
    email_claim: str = "email"
    allowed_domains: str = ""
    require_verified_email: bool = True
    # Where the browser lands once logged in.
    post_login_url: str = "/"

    @property
    def enabled(self) -> bool:
        return bool(self.issuer and self.client_id)

    @property
    def discovery_url(self) -> str:
        return self.metadata_url or f"{self.issuer.rstrip('/')}/.well-known/openid-configuration"

    def domains(self) -> set[str]:
        return {d.strip().lower() for d in self.allowed_domains.split(",") if d.strip()}


@lru_cache
def database_settings() -> DatabaseSettings:
    return DatabaseSettings()


@lru_cache
def temporal_settings() -> TemporalSettings:
    return TemporalSettings()


@lru_cache
def smtp_settings() -> SmtpSettings:
    return SmtpSettings()
