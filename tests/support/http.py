"""HTTP clients for the servers the tests start on loopback."""

from __future__ import annotations

import ssl
from typing import Any

import httpx

# httpx loads the system's certificates into a new TLS context for every client it makes
# (~50 ms of CPU here), even one that only ever speaks plain HTTP on loopback: the tests'
# clients share one.
_TLS = ssl.create_default_context()


def http_client(**options: Any) -> httpx.AsyncClient:
    """An `httpx.AsyncClient` with `options`, on the tests' shared TLS context."""
    return httpx.AsyncClient(verify=_TLS, **options)
