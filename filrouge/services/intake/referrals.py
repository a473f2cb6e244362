"""Referrals: one young person reported by a partner or a colleague, through the one pipeline."""

from __future__ import annotations

from dataclasses import dataclass

from filrouge.core.caller import Caller
from filrouge.core.domain import Source
from filrouge.core.errors import Invalid
from filrouge.services.cases.creation import CaseCreation, Identification
from filrouge.services.cases.placement import CREATED, DUPLICATE_REVIEW, REIDENTIFIED, TO_ROUTE

ACKNOWLEDGEMENTS = {
    CREATED: "Signalement enregistré : le jeune sera contacté par un référent de la plateforme.",
    TO_ROUTE: "Signalement enregistré : la plateforme l'attribuera à un référent.",
    REIDENTIFIED: "Signalement enregistré : ce jeune est déjà suivi, son référent est prévenu.",
    DUPLICATE_REVIEW: "Signalement enregistré : un coordinateur vérifie s'il s'agit d'un jeune "
    "déjà suivi.",
}
# A known young person that no active référent follows (to route, référent gone): nobody is
# told at once; the platform's coordinators attribute the case.
KNOWN_WITHOUT_REFERENT = (
    "Signalement enregistré : ce jeune est déjà connu de la plateforme, qui l'attribuera à un "
    "référent."
)


@dataclass(frozen=True)
class Referral:
    """The acknowledgement of a referral; `case_id` only for the platform's own staff."""

    status: str
    message: str
    case_id: str | None = None


async def refer(
    creation: CaseCreation, caller: Caller, given: Identification, key: str | None
) -> Referral:
    """Report one young person (a *droit au retour* request starts the 15-day legal clock)."""
    if given.source == Source.SIEI:
        message = (
            "Une liste SIEI s'importe en entier (import d'une liste par la coordination), pas "
            "par un signalement."
        )
        raise Invalid(message, fields={"source": message})
    placed = await creation.identify(caller, given, key)
    # Only the platform's own staff learn the case id: a case routed to (or already followed
    # by) another platform is not theirs to open.
    own = caller.is_staff and placed.platform_id == caller.platform_id and not placed.erased
    case_id = placed.case_id if own and placed.status != DUPLICATE_REVIEW else None
    message = ACKNOWLEDGEMENTS[placed.status]
    if placed.status == REIDENTIFIED and not await _followed(creation, placed.case_id):
        message = KNOWN_WITHOUT_REFERENT
    return Referral(placed.status, message, case_id)


async def _followed(creation: CaseCreation, case_id: str | None) -> bool:
    """Whether an active référent follows the case (and so is told of the referral)."""
    return case_id is not None and await creation.has_active_referent(case_id)
