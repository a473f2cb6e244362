"""The FastAPI application: lifespan owns the database engine and the Temporal client."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from temporalio.client import Client

from api import (
    access_log,
    admin,
    admin_accounts,
    auth,
    cases,
    indicators,
    mails,
    notes,
    oidc,
    rights,
)
from api.access import enforce_endpoint_roles
from api.codec import install_codec
from api.errors import install_error_handlers
from api.intake import router as intake_router
from api.limits import BodySizeLimit
from api.pages.mount import install_pages
from api.security_headers import SecurityHeaders
from filrouge.core.passwords import Argon2Cost, use_cost
from filrouge.mail.mailer import Mailer
from filrouge.services.cases.service import CaseService
from filrouge.services.intake.duplicates import DuplicateReviews
from filrouge.services.intake.imports import ImportService
from filrouge.services.rights.requests import ErasureOnRequest
from filrouge.services.transactions import make_engine, make_sessionmaker
from filrouge.settings import (
    ApiSettings,
    AuthSettings,
    DatabaseSettings,
    OidcSettings,
    SecuritySettings,
    SmtpSettings,
    TemporalSettings,
)
from filrouge.temporal.codec import payload_key_ring
from filrouge.temporal.server import connect_when_ready, data_converter

DESCRIPTION = """
Fil rouge suit chaque jeune sorti sans qualification, du repérage à la clôture.
Chaque étape humaine est une requête `POST /cases/{id}/...` ; l'en-tête
`Idempotency-Key` rend une requête rejouable sans effet double.
"""


def create_app(
    database: DatabaseSettings | None = None,
    temporal: TemporalSettings | None = None,
    temporal_client: Client | None = None,
    auth_settings: AuthSettings | None = None,
    oidc_settings: OidcSettings | None = None,
    smtp_settings: SmtpSettings | None = None,
    public_url: str | None = None,
) -> FastAPI:
    """Build the app; tests pass their own settings and an already connected client."""
    database = database or DatabaseSettings()
    temporal = temporal or TemporalSettings()
    auth_settings = auth_settings or AuthSettings()
    use_cost(Argon2Cost(*auth_settings.argon2_cost()))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(database.database_url, database.database_echo)
        client = temporal_client or await connect_when_ready(
            temporal.address,
            temporal.namespace,
            data_converter(payload_key_ring(SecuritySettings())),
            wait_seconds=30,
        )
        app.state.sessions = sessions = make_sessionmaker(engine)
        app.state.temporal = client
        queue, attributes = temporal.task_queue, temporal.search_attributes
        cases = CaseService(sessions, client, queue, attributes)
        app.state.case_service = cases
        app.state.import_service = ImportService(sessions, client, queue, attributes)
        app.state.duplicate_reviews = DuplicateReviews(sessions, client, cases.creation)
        app.state.erasure_on_request = ErasureOnRequest(sessions, client, cases)
        try:
            yield
        finally:
            await engine.dispose()

    app = FastAPI(
        title="Fil rouge",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        dependencies=[Depends(enforce_endpoint_roles)],
    )
    app.state.auth_settings = auth_settings
    app.state.oidc_settings = oidc_settings or OidcSettings()
    # Activation links are mailed by the API itself, pointing at the public address.
    app.state.mailer = Mailer(smtp_settings or SmtpSettings())
    app.state.public_url = public_url or ApiSettings().public_url
    install_error_handlers(app)
    app.add_middleware(BodySizeLimit)
    app.include_router(intake_router)
    app.include_router(cases.router)
    app.include_router(admin.router)
    app.include_router(access_log.router)
    app.include_router(notes.router)
    app.include_router(mails.router)
    app.include_router(indicators.router)
    app.include_router(rights.router)
    app.include_router(auth.router)
    app.include_router(oidc.router)
    app.include_router(admin_accounts.router)
    install_codec(app, temporal.ui_url)
    install_pages(app)
    # Outermost: every answer gets the headers, the middlewares' own ones included.
    hsts = auth_settings.hsts_max_age if auth_settings.https else None
    app.add_middleware(SecurityHeaders, hsts_max_age=hsts)

    @app.get("/health", tags=["santé"])
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    return app
