"""HTTP clients for the servers the tests start on loopback."""

from __future__ import annotations

from typing import Any

import httpx

# httpx loads its certificate bundle into a new TLS context for every client it makes
# (~50 ms of CPU here), even one that only ever speaks plain HTTP on loopback: the tests'
# clients share one, httpx's default.
_TLS = httpx.create_ssl_context()
# httpx gives up on an answer after 5 s by default. A step waits for its case workflow's
# update, and on a loaded 2-core machine the dev server took longer once (a CI-like run failed
# on a ReadTimeout). `filrouge import` waits 60 s too; a test that hangs is the watchdog's.
TIMEOUT = httpx.Timeout(60.0)


def http_client(**options: Any) -> httpx.AsyncClient:
    """An `httpx.AsyncClient` with `options`, on the tests' shared TLS context, waiting 60 s
    for an answer unless `options` say otherwise."""
    return httpx.AsyncClient(verify=_TLS, **{"timeout": TIMEOUT, **options})
