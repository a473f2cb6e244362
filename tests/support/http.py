"""HTTP clients for the servers the tests start on loopback."""

from __future__ import annotations

from typing import Any

import httpx

# httpx loads its certificate bundle into a new TLS context for every client it makes
# (~50 ms of CPU here), even one that only ever speaks plain HTTP on loopback: the tests'
# clients share one, httpx's default.
_TLS = httpx.create_ssl_context()


def http_client(**options: Any) -> httpx.AsyncClient:
    """An `httpx.AsyncClient` with `options`, on the tests' shared TLS context."""
    return httpx.AsyncClient(verify=_TLS, **options)
