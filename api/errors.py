"""One application error type per failure kind, turned into JSON responses in one place."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException

from api.field_labels import field_label
from filrouge.core.errors import (
    Conflict,
    DomainError,
    Forbidden,
    Invalid,
    InvalidFile,
    NotAuthenticated,
    NotFound,
    TooManyAttempts,
    Unavailable,
)

__all__ = [
    "AppError",
    "Conflict",
    "DomainError",
    "Forbidden",
    "Invalid",
    "InvalidFile",
    "NotAuthenticated",
    "NotFound",
    "TooManyAttempts",
    "Unauthorized",
    "Unavailable",
    "install_error_handlers",
]

# The one mapping from a domain error to its HTTP answer (most specific kind first).
DOMAIN_STATUSES: list[tuple[type[DomainError], int, str]] = [
    (InvalidFile, 422, "fichier_invalide"),
    (NotFound, 404, "introuvable"),
    (Conflict, 409, "conflit"),
    (Invalid, 422, "donnees_invalides"),
    (Forbidden, 403, "interdit"),
    (Unavailable, 503, "indisponible"),
    (NotAuthenticated, 401, "non_authentifie"),
    (TooManyAttempts, 429, "trop_de_tentatives"),
]

# The doors' own name for it: no credential, or one that is wrong, expired or revoked.
Unauthorized = NotAuthenticated


def status_of(error: DomainError) -> tuple[int, str]:
    """The HTTP status and the error code of a domain error."""
    for kind, status, code in DOMAIN_STATUSES:
        if isinstance(error, kind):
            return status, code
    return 400, "erreur"


def headers_of(error: DomainError) -> dict[str, str] | None:
    """The headers of a domain error's answer: when to retry, after too many attempts."""
    if isinstance(error, TooManyAttempts):
        return {"Retry-After": str(error.retry_after_seconds)}
    return None


class AppError(Exception):
    """A failure that only exists in HTTP (a body too large)."""

    status_code = 400
    code = "erreur"
    headers: dict[str, str] | None = None

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class TooLarge(AppError):
    status_code, code = 413, "fichier_trop_volumineux"


class FieldErrorOut(BaseModel):
    field: str = Field(description="The faulty field, dotted (e.g. `person.birth_date`).")
    champ: str = Field(description="Deprecated French alias of `field`, kept for old clients.")
    message: str


class ErrorOut(BaseModel):
    """The body of every error answer."""

    code: str
    message: str
    details: list[FieldErrorOut] | None = None


def _documented(description: str) -> dict[str, Any]:
    # Errors are JSON even on an endpoint answering HTML (the printable export).
    json_body = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}}
    return {"model": ErrorOut, "description": description, "content": json_body}


# Documented on every endpoint: the authentication and the role check are app-wide, and a
# case, platform or user outside the caller's scope answers 404.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: _documented("Jeton ou session absents, invalides, expirés ou révoqués."),
    403: _documented(
        "Action non autorisée pour ce rôle, dossier en lecture seule, "
        "ou écriture par session sans jeton CSRF valide."
    ),
    404: _documented("Introuvable, ou hors du périmètre de l'appelant."),
    409: _documented("Étape impossible à ce stade du dossier, ou doublon."),
    422: _documented("Données invalides (le détail nomme chaque champ)."),
    503: _documented("Service momentanément indisponible (moteur de workflows)."),
}

_HTTP_MESSAGES = {
    404: "Adresse inconnue.",
    405: "Méthode non autorisée pour cette adresse.",
    413: "Requête trop volumineuse.",
}

_FIELD_MESSAGES = {
    "missing": "champ obligatoire",
    "extra_forbidden": "champ non autorisé",
    "enum": "valeur non autorisée",
    "date_from_datetime_parsing": "date invalide (AAAA-MM-JJ)",
    "date_parsing": "date invalide (AAAA-MM-JJ)",
    "datetime_parsing": "date et heure invalides (ISO 8601)",
    "date_type": "date attendue (AAAA-MM-JJ)",
    "date_from_datetime_inexact": "date attendue (AAAA-MM-JJ)",
    "datetime_type": "date et heure attendues (ISO 8601)",
    "datetime_from_date_parsing": "date et heure invalides (ISO 8601)",
    "datetime_object_invalid": "date et heure invalides (ISO 8601)",
    "json_invalid": "JSON invalide",
    "string_too_long": "texte trop long",
    "string_too_short": "texte trop court",
    "string_pattern_mismatch": "format invalide",
    "string_type": "texte attendu",
    "bool_parsing": "booléen attendu (true ou false)",
    "bool_type": "booléen attendu (true ou false)",
    "int_parsing": "nombre entier attendu",
    "int_type": "nombre entier attendu",
    "int_from_float": "nombre entier attendu",
    "float_parsing": "nombre attendu",
    "float_type": "nombre attendu",
    "string_unicode": "texte invalide",
    "literal_error": "valeur non autorisée",
    "list_type": "liste attendue",
    "dict_type": "objet JSON attendu",
    "model_type": "objet JSON attendu",
    "model_attributes_type": "objet JSON attendu",
    "too_short": "trop peu d'éléments",
    "too_long": "trop d'éléments",
    "greater_than_equal": "valeur trop petite (minimum : {ge})",
    "less_than_equal": "valeur trop grande (maximum : {le})",
}


def validation_message(error: Mapping[str, Any]) -> str:
    """French text for a validation error (pydantic's own messages are in English); the
    pages show the same text by their fields."""
    kind, msg = str(error.get("type", "")), str(error.get("msg", ""))
    if kind in _FIELD_MESSAGES:
        return _FIELD_MESSAGES[kind].format(**(error.get("ctx") or {}))  # type: ignore[arg-type]
    if kind == "value_error":
        if "email address" in msg:
            return "adresse électronique invalide"
        return msg.removeprefix("Value error, ")  # our validators raise French messages
    return "valeur invalide"  # never pydantic's English wording


def _describe(error: dict[str, object]) -> dict[str, str]:
    """The machine name of the field and a French message that names it in French."""
    where: list[str | int] = list(error.get("loc", ()))  # type: ignore[call-overload]
    loc = [str(part) for part in where if part != "body"]
    if error.get("type") == "forbidden_category":
        loc.append(str(error["ctx"]["field"]))  # type: ignore[index]
        return _detail(".".join(loc), str(error.get("msg")))
    return _detail(".".join(loc), f"« {field_label(where)} » : {validation_message(error)}")


def french_field_errors(errors: Sequence[Any]) -> list[str]:
    """Each validation error as « French field name » : French reason (also for the CLI)."""
    return [_describe(dict(e))["message"] for e in errors]


def _summary(errors: Sequence[dict[str, object]]) -> str:
    """The refusal, naming the faulty fields in French (each once, in order)."""
    names = dict.fromkeys(f"« {field_label(list(e.get('loc', ())))} »" for e in errors)  # type: ignore[call-overload]
    return f"La requête contient des données invalides : {', '.join(names)}."


def validation_details(errors: list[Any]) -> list[dict[str, str]]:
    """French `{field, message}` details of pydantic validation errors (as the API answers)."""
    return [_describe(e) for e in errors]


def _detail(field: str, message: str) -> dict[str, str]:
    """JSON field names are English; `champ` stays as a deprecated alias of `field`."""
    return {"field": field, "champ": field, "message": message}


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers that turn errors into `{"code", "message", "details"}` bodies,
    and document those answers on every endpoint (call it before including the routers)."""
    app.router.responses = {**ERROR_RESPONSES, **app.router.responses}

    @app.exception_handler(AppError)
    async def _app_error(_: Request, exc: AppError) -> JSONResponse:
        return JSONResponse(
            status_code=exc.status_code,
            content={"code": exc.code, "message": exc.message},
            headers=exc.headers,
        )

    @app.exception_handler(DomainError)
    async def _domain_error(_: Request, exc: DomainError) -> JSONResponse:
        status, code = status_of(exc)
        content = {"code": code, "message": exc.message}
        return JSONResponse(status_code=status, content=content, headers=headers_of(exc))

    @app.exception_handler(HTTPException)
    async def _http_error(_: Request, exc: HTTPException) -> JSONResponse:
        """The framework's own errors (unknown path, wrong method, unreadable body), in French."""
        if exc.status_code == 400:  # a body that is not UTF-8 JSON: malformed input, as the rest
            content = {
                "code": "donnees_invalides",
                "message": "Corps de la requête illisible : JSON encodé en UTF-8 attendu.",
            }
            return JSONResponse(status_code=422, content=content)
        message = _HTTP_MESSAGES.get(exc.status_code, "Requête refusée.")
        return JSONResponse(
            status_code=exc.status_code,
            content={"code": "erreur", "message": message},
            headers=exc.headers,
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        details = validation_details(list(exc.errors()))
        code, message = "donnees_invalides", _summary(exc.errors())
        if any(e.get("type") == "forbidden_category" for e in exc.errors()):
            code = "categorie_interdite"
            message = (
                "Catégorie de données interdite : santé, handicap, nationalité, situation "
                "familiale et infractions ne sont jamais collectées."
            )
        return JSONResponse(
            status_code=422, content={"code": code, "message": message, "details": details}
        )
