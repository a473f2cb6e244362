"""Remote payload codec for the Temporal UI and CLI: `POST /codec/encode` and `/codec/decode`.

Administrators only. The Temporal UI calls it from the operator's browser, so the UI's
origin gets CORS on these two paths and nowhere else.
"""

from __future__ import annotations

import base64
import binascii
import logging
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, FastAPI, Header, Request
from pydantic import BaseModel, Field
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send
from temporalio.api.common.v1 import Payload

from api.deps import CurrentUserInfo, require_role
from api.errors import Invalid, NotFound
from filrouge.core.domain import Role
from filrouge.temporal.codec import EncryptionCodec, PayloadDecryptionError

PREFIX = "/codec"
log = logging.getLogger(__name__)

router = APIRouter(prefix=PREFIX, tags=["codec Temporal"])
Admin = Annotated[CurrentUserInfo, require_role(Role.ADMIN)]
Namespace = Annotated[str | None, Header(alias="X-Namespace")]


class PayloadJson(BaseModel):
    """A Temporal payload in proto JSON: metadata values and data in base64."""

    metadata: dict[str, str] = Field(default_factory=dict)
    data: str = ""


class PayloadsJson(BaseModel):
    payloads: list[PayloadJson]


def _b64(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise Invalid("Donnée Temporal illisible : base64 attendu.") from None


def _from_json(body: PayloadsJson) -> list[Payload]:
    return [
        Payload(metadata={k: _b64(v) for k, v in p.metadata.items()}, data=_b64(p.data))
        for p in body.payloads
    ]


def _to_json(payloads: list[Payload]) -> PayloadsJson:
    def text(raw: bytes) -> str:
        return base64.b64encode(raw).decode()

    return PayloadsJson(
        payloads=[
            PayloadJson(metadata={k: text(v) for k, v in p.metadata.items()}, data=text(p.data))
            for p in payloads
        ]
    )


def _codec(request: Request, namespace: str | None) -> EncryptionCodec | None:
    """The client's own codec, for the client's namespace only."""
    client = request.app.state.temporal
    if namespace and namespace != client.namespace:
        raise NotFound("Espace de noms Temporal inconnu.")
    codec = client.data_converter.payload_codec
    return codec if isinstance(codec, EncryptionCodec) else None


@router.post("/encode", summary="Chiffrer des payloads Temporal")
async def encode(
    body: PayloadsJson, request: Request, user: Admin, namespace: Namespace = None
) -> PayloadsJson:
    codec = _codec(request, namespace)
    payloads = _from_json(body)
    return _to_json(await codec.encode(payloads) if codec else payloads)


@router.post("/decode", summary="Déchiffrer des payloads Temporal (UI, CLI)")
async def decode(
    body: PayloadsJson, request: Request, user: Admin, namespace: Namespace = None
) -> PayloadsJson:
    codec = _codec(request, namespace)
    payloads = _from_json(body)
    log.info("codec decode by %s: %d payload(s)", user.id, len(payloads))
    if codec is None:
        return _to_json(payloads)
    try:
        return _to_json(await codec.decode(payloads))
    except PayloadDecryptionError as exc:
        raise Invalid(str(exc)) from None


def ui_origins(ui_url: str) -> list[str]:
    """The UI's origin; for a local UI, both spellings of loopback."""
    parts = urlsplit(ui_url)
    origin = f"{parts.scheme}://{parts.netloc}"
    aliases = {"localhost": "127.0.0.1", "127.0.0.1": "localhost"}
    if parts.hostname in aliases:
        return [origin, origin.replace(parts.hostname, aliases[parts.hostname], 1)]
    return [origin]


class CodecCors:
    """CORS for the Temporal UI's origin, on the codec paths only."""

    def __init__(self, app: ASGIApp, ui_url: str) -> None:
        self.app = app
        self.cors = CORSMiddleware(
            app,
            allow_origins=ui_origins(ui_url),
            allow_methods=["POST"],
            allow_headers=["Authorization", "Content-Type", "X-Namespace"],
            max_age=600,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(f"{PREFIX}/"):
            await self.cors(scope, receive, send)
        else:
            await self.app(scope, receive, send)


def install_codec(app: FastAPI, ui_url: str) -> None:
    """Serve the codec endpoints, reachable from the Temporal UI at `ui_url`."""
    app.include_router(router)
    app.add_middleware(CodecCors, ui_url=ui_url)
