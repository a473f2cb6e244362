"""Settings, one class per concern, read from the environment with embedded dev defaults."""

from __future__ import annotations

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


@lru_cache
def database_settings() -> DatabaseSettings:
    return DatabaseSettings()


@lru_cache
def temporal_settings() -> TemporalSettings:
    return TemporalSettings()


@lru_cache
def smtp_settings() -> SmtpSettings:
    return SmtpSettings()
