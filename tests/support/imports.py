"""Upload a list over HTTP and poll until its import is done."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Api, Member
from tests.support.waiting import eventually


async def upload(
    api: Api, who: Member, content: bytes, filename: str = "liste.csv", expect: int = 202
) -> dict[str, Any]:
    """POST /imports with `content` as the file; asserts the status and returns the body."""
    files = {"file": (filename, content, "application/octet-stream")}
    response = await api.http.post("/imports", files=files, headers=who.headers)
    assert response.status_code == expect, response.text
    return response.json()  # type: ignore[no-any-return]


async def finished(api: Api, who: Member, import_id: str, within: float = 60.0) -> dict[str, Any]:
    """Poll GET /imports/{id} until the import is done; progress never goes backwards."""
    processed = 0

    async def done() -> dict[str, Any] | None:
        nonlocal processed
        response = await api.http.get(f"/imports/{import_id}", headers=who.headers)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        assert body["processed"] >= processed
        processed = body["processed"]
        return body if body["status"] in ("done", "failed") else None

    return await eventually(done, within)


async def imported(
    api: Api, who: Member, content: bytes, filename: str = "liste.csv"
) -> dict[str, Any]:
    """Upload a list and wait for its import to finish; returns the finished import."""
    accepted = await upload(api, who, content, filename)
    assert accepted["status"] in ("pending", "running")
    return await finished(api, who, accepted["id"])
