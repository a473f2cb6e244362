"""Request limits: an oversized body answers 413 before anything parses it, and a NUL
character in the path or the query (which PostgreSQL cannot compare) answers 422.

JSON bodies of this API are small (a case, a step, a note); a list upload is a multipart
body with its own, larger limit (the import's file limit plus room for the form fields).
Checked on the declared Content-Length and, for a chunked body, while it is read.
"""

from __future__ import annotations

import json

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from filrouge.intake.reader import IntakeLimits

MAX_JSON_BYTES = 1024 * 1024
MULTIPART_OVERHEAD = 64 * 1024
# The body the error handlers give a 413 raised while reading (see api/errors.py).
TOO_LARGE = json.dumps({"code": "erreur", "message": "Requête trop volumineuse."}).encode()
NUL_IN_TARGET = json.dumps(
    {"code": "donnees_invalides", "message": "Adresse invalide : caractère nul interdit."}
).encode()


def body_limit(scope: Scope, upload_bytes: int) -> int:
    """The largest body accepted for this request."""
    for name, value in scope.get("headers", []):
        if name == b"content-type" and value.lower().startswith(b"multipart/form-data"):
            return upload_bytes + MULTIPART_OVERHEAD
    return MAX_JSON_BYTES


def nul_in_target(scope: Scope) -> bool:
    query = bytes(scope.get("query_string", b"")).lower()
    return "\x00" in scope.get("path", "") or b"%00" in query or b"\x00" in query


class BodySizeLimit:
    """ASGI middleware refusing request bodies over `body_limit` with a French 413 (and a
    NUL character in the path or query with a 422)."""

    def __init__(self, app: ASGIApp, upload_bytes: int = IntakeLimits().max_bytes) -> None:
        self.app, self.upload_bytes = app, upload_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if nul_in_target(scope):
            await _refuse(send, 422, NUL_IN_TARGET)
            return
        limit = body_limit(scope, self.upload_bytes)
        declared = dict(scope.get("headers", [])).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            await _refuse(send, 413, TOO_LARGE)
            return
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:  # turned into the same 413 by the error handlers
                    raise HTTPException(status_code=413)
            return message

        await self.app(scope, limited, send)


async def _refuse(send: Send, status: int, body: bytes) -> None:
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
