"""« Signalements »: a partner refers one young person, through the same body model and the
same referral service as `POST /referrals` (one pipeline, the same answer whatever another
platform knows of the young person).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from api.deps import CurrentUser
from api.errors import Invalid, NotFound, Unavailable
from api.intake import ReferralIn, get_creation
from api.pages.forms import checked, refusal, values
from api.pages.routing import page_router
from api.pages.templating import render
from filrouge.core.domain import SOURCE_LABELS, Source
from filrouge.core.identity import LIST_FIELDS, IdentityField
from filrouge.services.cases.creation import Identification
from filrouge.services.intake.referrals import refer

router = page_router()
REFERRALS_PATH = "/signalements"
KEY_FIELD = "cle"  # a key per form shown: the same form sent twice is recorded once
CONSENT = "convocation_consent"

# How the form groups the identity fields (a field declared later lands in the last group).
GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Le jeune", ("last_name", "first_name", "sex", "birth_date", "ine")),
    ("Son adresse", ("address", "postal_code", "commune_insee", "commune_name")),
    ("Pour le joindre", ("phone", "email", "guardian_name", "guardian_phone")),
    ("Sa scolarité", ("school_uai", "school_name", "last_training", "level", "leaving_date")),
)
HINTS = {
    "sex": "F, M ou X.",
    "ine": "Identifiant national élève : 11 caractères.",
    "postal_code": "5 chiffres. Le code postal ou le code commune suffit à trouver la plateforme.",
    "commune_insee": "5 caractères, par exemple 35238.",
    "phone": "Par exemple 06 12 34 56 78.",
    "guardian_phone": "Par exemple 06 12 34 56 78.",
    "school_uai": "7 chiffres et une lettre, par exemple 0350024H.",
}
INPUT_TYPES = {"email": "email", "phone": "tel", "guardian_phone": "tel"}


@dataclass(frozen=True)
class Field:
    """One input of the form, from the identity field's declaration."""

    name: str
    label: str
    type: str
    required: bool
    maxlength: int
    hint: str


def _field(f: IdentityField) -> Field:
    kind = "date" if f.type is date else INPUT_TYPES.get(f.name, "text")
    return Field(f.name, f.label, kind, f.required, f.max_length or 300, HINTS.get(f.name, ""))


def groups() -> list[tuple[str, list[Field]]]:
    """The identity fields of a referral, in their groups."""
    by_name = {f.name: f for f in LIST_FIELDS}
    placed = {name for _, names in GROUPS for name in names}
    result = [
        (title, [_field(by_name[n]) for n in names if n in by_name]) for title, names in GROUPS
    ]
    rest = [_field(f) for f in LIST_FIELDS if f.name not in placed]
    if rest:
        result[-1][1].extend(rest)
    return result


PERSON_FIELDS = tuple(f.name for f in LIST_FIELDS)
LABELS = {f.name: f.label for f in LIST_FIELDS} | {
    "source": "Origine du signalement",
    "identified_on": "Date du repérage",
    CONSENT: "Accord pour les convocations",
}
FORM_FIELDS = ("source", "identified_on", *PERSON_FIELDS, CONSENT, KEY_FIELD)


def _page(request: Request, status: int = 200, **context: Any) -> HTMLResponse:
    base = {
        "groups": groups(),
        "sources": [
            (s.value, SOURCE_LABELS[s][0].upper() + SOURCE_LABELS[s][1:])
            for s in Source
            if s != Source.SIEI
        ],
        "labels": LABELS,
        "form": {},
        "errors": {},
        "acknowledgement": None,
        "key": secrets.token_urlsafe(16),
    }
    return render(request, "referrals.html", base | context, status_code=status)


@router.get(REFERRALS_PATH)
async def page_referrals(request: Request, user: CurrentUser) -> HTMLResponse:
    """The form by which a partner refers a young person to the platform."""
    return _page(request)


def _body(form: dict[str, str]) -> dict[str, Any]:
    person: dict[str, Any] = {name: form[name] for name in PERSON_FIELDS if form[name]}
    person[CONSENT] = form[CONSENT] == "true"
    return {"source": form["source"], "identified_on": form["identified_on"], "person": person}


@router.post(REFERRALS_PATH)
async def page_refer(request: Request, user: CurrentUser) -> HTMLResponse:
    """Refer the young person; the answer never tells what another platform knows."""
    form = values(await request.form(), FORM_FIELDS)
    key = form[KEY_FIELD][:100] or None
    body, errors = checked(ReferralIn, _body(form))
    status = 422
    if body is not None:
        given = Identification(
            person=body.person.model_dump(exclude={CONSENT}),
            source=body.source,
            identified_on=body.identified_on,
            convocation_consent=body.person.convocation_consent,
        )
        try:
            referral = await refer(get_creation(request), user, given, key)
        except (Invalid, NotFound) as exc:
            errors = refusal(exc, FORM_FIELDS)
        except Unavailable as exc:
            errors, status = {"_form": f"{exc.message} Réessayez dans un instant."}, 503
        else:
            return _page(request, acknowledgement=referral.message)
    return _page(request, status, form=form, errors=errors, key=key or secrets.token_urlsafe(16))
