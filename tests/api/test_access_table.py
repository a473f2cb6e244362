"""Every endpoint has an entry in the authorisation table (api.access.ENDPOINT_ROLES)."""

from api.access import ENDPOINT_ROLES, endpoint_names
from api.app import create_app


def test_every_endpoint_is_listed_in_the_authorisation_table() -> None:
    names = set(endpoint_names(create_app().routes))
    missing = sorted(names - set(ENDPOINT_ROLES))
    assert not missing, f"endpoints without an authorisation entry: {missing}"
    stale = sorted(set(ENDPOINT_ROLES) - names)
    assert not stale, f"authorisation entries for endpoints that no longer exist: {stale}"


def test_endpoint_names_are_unique() -> None:
    names = endpoint_names(create_app().routes)
    assert len(names) > 20
    assert len(names) == len(set(names))
