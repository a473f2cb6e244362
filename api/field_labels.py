"""The French name of every field a request can carry, for refusals shown to people.

JSON keeps the English machine names (`details[].field`); a message names the field as its
user knows it. `tests/api/test_field_labels.py` fails when a request field has no name here.
"""

from __future__ import annotations

from collections.abc import Sequence

from filrouge.core.domain import POLICY_LABELS
from filrouge.core.identity import LABELS as IDENTITY_LABELS

_OWN_LABELS: dict[str, str] = {
    # cases, referrals and their steps
    "platform_id": "plateforme",
    "source": "origine du repérage",
    "identified_on": "date de repérage",
    "person": "jeune",
    "channel": "moyen de contact",
    "result": "résultat de la tentative",
    "outcome": "issue",
    "solution_type": "type de solution",
    "new_commune": "nouvelle commune",
    "reason": "motif",
    "at": "date et heure de l'entretien",
    "place": "lieu de l'entretien",
    "held": "entretien tenu",
    "solutions": "solutions proposées",
    "type": "type de solution",
    "structure": "structure d'accueil",
    "start_date": "date de début",
    "decision": "décision",
    "comment": "commentaire",
    "entered": "entrée en solution",
    "on": "date",
    "status": "résultat du suivi",
    "referent_id": "référent",
    "structure_id": "structure",
    "case_id": "dossier",
    "case_ids": "dossiers",
    "text": "note",
    "file": "fichier de la liste",
    # administration
    "id": "identifiant",
    "name": "nom",
    "region": "région",
    "territory": "territoire",
    "communes": "communes",
    "postal_codes": "codes postaux",
    "departements": "départements",
    "policy": "délais de la plateforme",
    "time_zone": "fuseau horaire",
    "kind": "type de structure",
    "display_name": "nom affiché",
    "role": "rôle",
    # accounts and tokens
    "password": "mot de passe",
    "current_password": "mot de passe actuel",
    "new_password": "nouveau mot de passe",
    "token": "jeton d'activation",
    "label": "libellé du jeton",
    # the Temporal codec (administrators)
    "payloads": "données Temporal",
    "metadata": "métadonnées",
    "data": "contenu",
    # path and query parameters, headers
    "import_id": "import",
    "mail_id": "courriel",
    "review_id": "doublon possible",
    "token_id": "jeton",
    "authorization": "jeton d'accès (Authorization)",
    "stage": "étape",
    "overdue": "en retard",
    "limit": "nombre de résultats",
    "offset": "décalage",
    "user_id": "utilisateur",
    "code": "code d'autorisation",
    "state": "état de la connexion",
    "error": "erreur du fournisseur d'identité",
    "idempotency-key": "clé d'idempotence (Idempotency-Key)",
    "x-namespace": "espace de noms Temporal (X-Namespace)",
}

FIELD_LABELS: dict[str, str] = {
    **{name: label[:1].lower() + label[1:] for name, label in IDENTITY_LABELS.items()},
    "ine": "INE",
    "school_uai": "UAI",
    **POLICY_LABELS,
    **_OWN_LABELS,
}
"""French name by machine name (identity and policy fields keep their declared labels)."""

# Where a field sits in the request, not a name of its own (FastAPI's error locations).
_PLACES = frozenset({"body", "query", "path", "header", "cookie"})


def field_label(location: Sequence[str | int]) -> str:
    """The French name of the field at `location` (e.g. « date de naissance »); a name the
    API does not know (an unexpected field) is quoted as sent."""
    names = [str(p) for p in location if not isinstance(p, int) and p not in _PLACES]
    if not names:
        return "corps de la requête"
    name = names[-1]
    return FIELD_LABELS.get(name.lower(), name)
