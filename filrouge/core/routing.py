"""Territorial routing: which platform covers a commune (INSEE code) or a postal code."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from filrouge.core.domain import StructureKind


def departement_of_insee(insee: str) -> str:
    """Département of an INSEE commune code: 2A/2B for Corsica, 3 digits overseas (97x)."""
    code = insee.strip().upper()
    return code[:3] if code.startswith("97") or code.startswith("98") else code[:2]


def departement_of_postal_code(postal_code: str) -> str | None:
    """Département of a postal code; Corsica's 20xxx splits at 201xx (2A) / 202xx (2B)."""
    code = postal_code.strip()
    if len(code) != 5 or not code.isdigit():
        return None
    if code.startswith("20"):
        return "2A" if code < "20200" else "2B"
    if code.startswith("97") or code.startswith("98"):
        return code[:3]
    return code[:2]


@dataclass
class Territory:
    """The communes, postal codes and whole départements a platform covers."""

    communes: frozenset[str] = field(default_factory=frozenset)
    postal_codes: frozenset[str] = field(default_factory=frozenset)
    departements: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> Territory:
        data = data or {}
        return cls(
            communes=frozenset(c.upper() for c in data.get("communes", [])),
            postal_codes=frozenset(data.get("postal_codes", [])),
            departements=frozenset(d.upper() for d in data.get("departements", [])),
        )


# A territory's kinds of codes, with their French names (for the refusals).
TERRITORY_KINDS = {
    "communes": "communes",
    "postal_codes": "codes postaux",
    "departements": "départements",
}


def shared_codes(mine: Territory, other: Territory) -> dict[str, list[str]]:
    """The codes two territories both claim, by kind (empty: they do not overlap)."""
    shared = {kind: sorted(getattr(mine, kind) & getattr(other, kind)) for kind in TERRITORY_KINDS}
    return {kind: codes for kind, codes in shared.items() if codes}


class TerritoryIndex:
    """Routes an address to a platform: commune first, then postal code, then département."""

    def __init__(self, territories: Iterable[tuple[str, Territory]]) -> None:
        self.by_commune: dict[str, str] = {}
        self.by_postal_code: dict[str, str] = {}
        self.by_departement: dict[str, str] = {}
        for platform_id, territory in sorted(territories, key=lambda item: item[0]):
            for code in territory.communes:
                self.by_commune.setdefault(code, platform_id)
            for code in territory.postal_codes:
                self.by_postal_code.setdefault(code, platform_id)
            for code in territory.departements:
                self.by_departement.setdefault(code, platform_id)

    @classmethod
    def from_json(cls, stored: Iterable[tuple[str, dict[str, Any] | None]]) -> TerritoryIndex:
        """The index of stored territories (platform id, JSON), as `Territory.from_json`
        reads them, without building a Territory per platform (every case creation routes
        through every platform's territory)."""
        index = cls([])
        for platform_id, data in sorted(stored, key=lambda item: item[0]):
            data = data or {}
            for code in data.get("communes", []):
                index.by_commune.setdefault(code.upper(), platform_id)
            for code in data.get("postal_codes", []):
                index.by_postal_code.setdefault(code, platform_id)
            for code in data.get("departements", []):
                index.by_departement.setdefault(code.upper(), platform_id)
        return index

    def route(self, commune_insee: str | None, postal_code: str | None) -> str | None:
        """The platform covering this address, or None when no territory matches."""
        insee = (commune_insee or "").strip().upper()
        postal = (postal_code or "").strip()
        if insee and insee in self.by_commune:
            return self.by_commune[insee]
        if postal and postal in self.by_postal_code:
            return self.by_postal_code[postal]
        departement = departement_of_insee(insee) if insee else None
        if departement is None and postal:
            departement = departement_of_postal_code(postal)
        return self.by_departement.get(departement) if departement else None


class RoutingGap(StrEnum):
    """Why a case waits at « à router » for a coordinator to give it a référent."""

    OUTSIDE = "hors_territoire"  # its address is in no platform's territory
    NO_REFERENT = "sans_referent"  # in this platform's territory: no référent could take it
    ELSEWHERE = "autre_territoire"  # in another platform's territory (drawn since)


def routing_gap(
    index: TerritoryIndex, platform_id: str, commune_insee: str | None, postal_code: str | None
) -> RoutingGap:
    """Why a case of `platform_id` at this address was not routed to a référent."""
    routed = index.route(commune_insee, postal_code)
    if routed is None:
        return RoutingGap.OUTSIDE
    return RoutingGap.NO_REFERENT if routed == platform_id else RoutingGap.ELSEWHERE


def preferred_structure_kinds(age: int, left_within_a_year: bool) -> list[str]:
    """Default routing rule: MLDS for recent leavers under 18, Mission locale otherwise."""
    if age < 18 and left_within_a_year:
        return [StructureKind.MLDS.value]
    return [StructureKind.MISSION_LOCALE.value]
