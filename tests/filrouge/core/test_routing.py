"""Territorial routing: commune, then postal code, then département (Corsica, overseas)."""

from filrouge.core.routing import (
    RoutingGap,
    Territory,
    TerritoryIndex,
    departement_of_insee,
    departement_of_postal_code,
    routing_gap,
)


def index() -> TerritoryIndex:
    return TerritoryIndex(
        [
            ("rennes", Territory.from_json({"communes": ["35238"], "postal_codes": ["35700"]})),
            ("ille-et-vilaine", Territory.from_json({"departements": ["35"]})),
            ("corse-du-sud", Territory.from_json({"departements": ["2a"]})),
            ("haute-corse", Territory.from_json({"departements": ["2B"]})),
            ("reunion", Territory.from_json({"departements": ["974"]})),
        ]
    )


def test_commune_wins_over_departement() -> None:
    assert index().route("35238", "35000") == "rennes"
    assert index().route("35047", "35170") == "ille-et-vilaine"


def test_postal_code_when_the_commune_is_not_listed() -> None:
    assert index().route(None, "35700") == "rennes"
    assert index().route("", "35131") == "ille-et-vilaine"


def test_corsica_and_overseas() -> None:
    assert index().route("2A004", None) == "corse-du-sud"
    assert index().route("2b033", None) == "haute-corse"
    assert index().route(None, "20000") == "corse-du-sud"
    assert index().route(None, "20200") == "haute-corse"
    assert index().route("97411", None) == "reunion"
    assert index().route(None, "97400") == "reunion"


def test_no_territory_means_no_platform() -> None:
    assert index().route("75056", "75001") is None
    assert index().route(None, None) is None
    assert index().route(None, "ABCDE") is None


def test_departement_helpers() -> None:
    assert departement_of_insee("97209") == "972"
    assert departement_of_insee("2A004") == "2A"
    assert departement_of_postal_code("2000") is None


def test_the_index_of_stored_territories_is_the_index_of_their_territories() -> None:
    """`TerritoryIndex.from_json` (what case creation uses) reads stored JSON as
    `Territory.from_json` does: codes upper-cased, the first platform by id wins a code
    claimed twice, whatever the order of the rows."""
    stored = [
        ("b-second", {"communes": ["35238", "2a004"], "departements": ["35"]}),
        ("a-first", {"communes": ["35238"], "postal_codes": ["35700"], "departements": ["2a"]}),
        ("c-empty", {}),
        ("d-null", None),
    ]
    fast = TerritoryIndex.from_json(stored)
    slow = TerritoryIndex((id, Territory.from_json(data)) for id, data in stored)
    assert (fast.by_commune, fast.by_postal_code, fast.by_departement) == (
        slow.by_commune,
        slow.by_postal_code,
        slow.by_departement,
    )
    assert fast.by_commune == {"35238": "a-first", "2A004": "b-second"}
    assert fast.route("2A004", None) == "b-second" and fast.route("2A117", None) == "a-first"


def test_why_a_case_waits_to_be_routed() -> None:
    assert routing_gap(index(), "rennes", "35238", None) == RoutingGap.NO_REFERENT
    assert routing_gap(index(), "rennes", None, "35000") == RoutingGap.ELSEWHERE  # département
    assert routing_gap(index(), "rennes", "75056", "75001") == RoutingGap.OUTSIDE
    assert routing_gap(index(), "rennes", None, None) == RoutingGap.OUTSIDE
