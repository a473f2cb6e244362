"""Territories of their own for each test: codes no other platform of the database claims."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

# Routing tries the commune, then the postal code, then the département: the allocator
# hands out codes of one département that no test claims as a whole (Lozère).
DEPARTEMENT = "48"


@dataclass(frozen=True)
class Territory:
    """A platform's territory: its own communes and postal codes."""

    communes: tuple[str, ...]
    postal_codes: tuple[str, ...]

    @property
    def commune(self) -> str:
        return self.communes[0]

    @property
    def postal_code(self) -> str:
        return self.postal_codes[0]

    def claim(self) -> dict[str, Any]:
        """The `territory` body of POST /admin/platforms."""
        return {"communes": list(self.communes), "postal_codes": list(self.postal_codes)}


class TerritoryAllocator:
    """Hands out communes and postal codes once per database (one allocator per session)."""

    def __init__(self, departement: str = DEPARTEMENT) -> None:
        self._codes: Iterator[str] = (f"{departement}{n:03d}" for n in range(1, 1000))

    def codes(self, count: int) -> tuple[str, ...]:
        """`count` codes never handed out before (used as commune and as postal codes)."""
        return tuple(next(self._codes) for _ in range(count))

    def territory(self, communes: int = 1, postal_codes: int = 1) -> Territory:
        """A territory nobody else claims."""
        return Territory(self.codes(communes), self.codes(postal_codes))


@cache
def allocator_for(database_url: str) -> TerritoryAllocator:
    """The one allocator of a database (its platforms are the ones that must not overlap)."""
    return TerritoryAllocator()
