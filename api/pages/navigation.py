"""Where each role starts, and the links of the main menu."""

from __future__ import annotations

from dataclasses import dataclass

from filrouge.core import labels
from filrouge.core.domain import Role


@dataclass(frozen=True)
class Link:
    href: str
    label: str


START_PAGES: dict[Role, Link] = {
    Role.REFERENT: Link("/mes-dossiers", "Mes dossiers"),
    Role.COORDINATEUR: Link("/plateforme", "Ma plateforme"),
    Role.PILOTE: Link("/indicateurs", "Indicateurs"),
    Role.PARTENAIRE: Link("/signalements", "Signalements"),
    Role.ADMIN: Link("/administration", "Administration"),
}

ROLE_LABELS = labels.ROLE_LABELS  # the pages' name for it


def start_page(role: Role) -> str:
    """The page a person of this role lands on after login."""
    return START_PAGES[role].href


# The pages of a role beyond its start page, in the order of its menu.
ROLE_PAGES: dict[Role, list[Link]] = {
    Role.COORDINATEUR: [
        Link("/plateforme/decisions", "Décisions"),
        Link("/plateforme/dossiers", "Dossiers"),
        Link("/plateforme/imports", "Imports"),
        Link("/plateforme/doublons", "Doublons possibles"),
        Link("/plateforme/journal", "Journal des accès"),
    ],
    Role.ADMIN: [
        Link("/administration/plateformes", "Plateformes"),
        Link("/administration/structures", "Structures"),
        Link("/administration/utilisateurs", "Utilisateurs"),
        Link("/administration/journal", "Journal"),
    ],
}


def menu(role: Role) -> list[Link]:
    """The main menu of this role."""
    return [START_PAGES[role], *ROLE_PAGES.get(role, []), Link("/mon-compte", "Mon compte")]
