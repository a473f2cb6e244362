"""Every endpoint x every role x own / other platform answers as the authorisation rules say.

A new endpoint without a sample request here makes this test fail: add its sample below.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from api.access import ENDPOINT_ROLES, PUBLIC, endpoint_names
from api.app import create_app
from filrouge.core.cases.steps import STEPS
from filrouge.core.domain import Role
from tests.api.conftest import Api, Member, Team
from tests.support.steps import with_placeholders


@dataclass(frozen=True)
class Sample:
    """How to call an endpoint: method, path (with {case} / {user} / {platform}), body."""

    method: str
    path: str
    body: Callable[[], dict[str, Any]] | None = None
    case_scoped: bool = False
    acts: bool = False  # a case-scoped write: read-only access is refused
    platform_scoped: bool = False  # names the caller's platform: another one answers 404
    upload: bool = False  # sends a small CSV list as multipart instead of a JSON body
    unknown: bool = False  # names a resource that does not exist: 404 is the right answer
    page: bool = False  # an HTML page: the anonymous are redirected to login (303), not 401
    form: bool = False  # a page's form, sent form-encoded; without its CSRF token: 403


def _platform() -> dict[str, Any]:
    return {"id": f"m-{uuid.uuid4().hex[:10]}", "name": "Matrice"}


def _user() -> dict[str, Any]:
    return {
        "display_name": "Matrice",
        "email": f"m-{uuid.uuid4().hex[:6]}@psad.filrouge.fr",
        "role": "pilote",
    }


def _form(path: str, unknown: bool = False) -> Sample:
    """A page's form posted empty (a token needs no CSRF field)."""
    return Sample("POST", path, lambda: {}, page=True, form=True, unknown=unknown)


# Not a real account: an action on it as an admin answers 404 and changes nobody.
UNKNOWN_USER = "/administration/utilisateurs/u-matrice-inconnu"


def _case_step(path: str, body: dict[str, Any]) -> Sample:
    return Sample("POST", f"/cases/{{case}}/{path}", lambda: body, case_scoped=True, acts=True)


# Every step with a route, from its declaration: its example body, the ids it names filled in.
STEP_SAMPLES: dict[str, Sample] = {
    declaration.endpoint: _case_step(
        declaration.route.path,
        with_placeholders(declaration.route.example, {"referent_id": "{user}"}),
    )
    for declaration in STEPS
    if declaration.route is not None
}


SAMPLE_LIST = (
    "INE;Nom;Prénom;Date de naissance;Code commune INSEE;Date de sortie\n"
    "123456789AB;Matrice;Léa;02/01/2008;35238;01/09/2025\n"
).encode()

SAMPLES: dict[str, Sample] = {
    "health": Sample("GET", "/health"),
    "login": Sample("POST", "/auth/login", lambda: {}),  # public; test_auth.py logs in
    "oidc_login": Sample("GET", "/auth/oidc/login", unknown=True),  # OIDC is off: 404
    "oidc_callback": Sample("GET", "/auth/oidc/callback?code=c&state=s", unknown=True),
    "logout": Sample("POST", "/auth/logout"),
    "me": Sample("GET", "/auth/me"),
    "change_password": Sample(
        "PUT",
        "/auth/password",
        lambda: {"current_password": "pas le bon", "new_password": "un tout autre secret"},
    ),
    "list_my_tokens": Sample("GET", "/auth/tokens"),
    "create_my_token": Sample("POST", "/auth/tokens", lambda: {"label": "matrice"}),
    # Public: an unknown link answers 422 in French (test_accounts.py activates for real).
    "activate_account": Sample(
        "POST",
        "/auth/activation",
        lambda: {"token": "lien-inconnu-de-la-matrice", "password": "matrice de droits 2026"},
    ),
    "revoke_my_token": Sample("DELETE", "/auth/tokens/t-unknown", unknown=True),
    "upload_import": Sample("POST", "/imports", upload=True),
    "get_import": Sample("GET", "/imports/{import}", platform_scoped=True),
    "import_report": Sample("GET", "/imports/{import}/report", platform_scoped=True),
    "import_rejected_csv": Sample("GET", "/imports/{import}/rejected.csv", platform_scoped=True),
    "create_referral": Sample(
        "POST",
        "/referrals",
        lambda: {
            "source": "cio",
            "person": {"last_name": "Matrice", "first_name": "Ana", "birth_date": "2008-03-04"},
        },
    ),
    "list_duplicates": Sample("GET", "/duplicates"),
    "list_crossings": Sample("GET", "/crossings"),
    "merge_duplicate": Sample(
        "POST", "/duplicates/dr-unknown/merge", lambda: {"case_id": "{case}"}, unknown=True
    ),
    "keep_duplicate_apart": Sample("POST", "/duplicates/dr-unknown/keep-apart", unknown=True),
    "assign_many": Sample(
        "POST", "/cases/assign", lambda: {"case_ids": ["{case}"], "referent_id": "{user}"}
    ),
    "create_case": Sample(
        "POST",
        "/cases",
        lambda: {
            "platform_id": "{platform}",
            "source": "cio",
            "person": {"last_name": "Matrice", "first_name": "Eva", "birth_date": "2005-01-02"},
        },
        platform_scoped=True,
    ),
    "list_cases": Sample("GET", "/cases"),
    "get_case": Sample("GET", "/cases/{case}", case_scoped=True),
    "case_history": Sample("GET", "/cases/{case}/history", case_scoped=True),
    "verify_history": Sample("GET", "/cases/{case}/history/verify", case_scoped=True),
    "case_access_log": Sample("GET", "/cases/{case}/access-log", case_scoped=True),
    "platform_access_log": Sample("GET", "/access-log"),
    **STEP_SAMPLES,
    "add_note": Sample(
        "POST", "/cases/{case}/notes", lambda: {"text": "Rappeler lundi."}, case_scoped=True
    ),
    "list_notes": Sample("GET", "/cases/{case}/notes", case_scoped=True),
    "list_undelivered_mails": Sample("GET", "/mails/undelivered"),
    "retry_mail": Sample("POST", "/mails/999999999/retry", unknown=True),
    "indicators": Sample("GET", "/indicators"),
    "export_case": Sample("GET", "/cases/{case}/export", case_scoped=True),
    "export_case_html": Sample("GET", "/cases/{case}/export.html", case_scoped=True),
    "rectify_person": Sample(
        "PATCH",
        "/cases/{case}/person",
        lambda: {"phone": "0612345678"},
        case_scoped=True,
        acts=True,
    ),
    # Last of the case endpoints: the coordinator's call erases the matrix case.
    "erase_on_request": Sample("POST", "/cases/{case}/erase", case_scoped=True),
    "create_platform": Sample("POST", "/admin/platforms", _platform),
    "list_platforms": Sample("GET", "/admin/platforms"),
    "set_policy": Sample("PUT", "/admin/platforms/{platform}/policy", lambda: {}),
    "set_territory": Sample("PUT", "/admin/platforms/{platform}/territory", lambda: {}),
    "set_time_zone": Sample(
        "PUT", "/admin/platforms/{platform}/time-zone", lambda: {"time_zone": None}
    ),
    "create_structure": Sample(
        "POST",
        "/admin/structures",
        lambda: {
            "id": f"s-{uuid.uuid4().hex[:8]}",
            "platform_id": "{platform}",
            "name": "S",
            "kind": "cio",
        },
    ),
    "list_structures": Sample("GET", "/admin/structures"),
    "create_user": Sample("POST", "/admin/users", _user),
    "list_users": Sample("GET", "/admin/users"),
    "send_activation": Sample("POST", "/admin/users/{user}/activation"),
    "admin_audit": Sample("GET", "/admin/audit"),
    "deactivate_user": Sample("POST", "/admin/users/u-unknown/deactivate", unknown=True),
    "reactivate_user": Sample("POST", "/admin/users/{user}/reactivate"),
    "list_user_tokens": Sample("GET", "/admin/users/{user}/tokens"),
    "revoke_user_token": Sample("DELETE", "/admin/users/{user}/tokens/t-unknown", unknown=True),
    "encode": Sample("POST", "/codec/encode", lambda: {"payloads": []}),
    "decode": Sample("POST", "/codec/decode", lambda: {"payloads": []}),
    # The pages: tokens need no CSRF token, so a page's form answers as for a browser
    # that sent it; the login form, public, refuses a post without its own token.
    "page_login_form": Sample("GET", "/connexion", page=True),
    "page_login": Sample("POST", "/connexion", lambda: {}, page=True, form=True),
    "page_activation_form": Sample("GET", "/activation?jeton=x", page=True),
    "page_activate": Sample("POST", "/activation", lambda: {}, page=True, form=True),
    "page_logout": Sample("POST", "/deconnexion", lambda: {}, page=True, form=True),
    "page_home": Sample("GET", "/", page=True),
    "page_account": Sample("GET", "/mon-compte", page=True),
    "page_change_password": Sample(
        "POST", "/mon-compte/mot-de-passe", lambda: {}, page=True, form=True
    ),
    "page_revoke_token": Sample(
        "POST", "/mon-compte/jetons/t-unknown/revoquer", lambda: {}, page=True, unknown=True
    ),
    "page_my_cases": Sample("GET", "/mes-dossiers", page=True),
    "page_search_my_cases": Sample("POST", "/mes-dossiers", lambda: {}, page=True, form=True),
    "page_platform": Sample("GET", "/plateforme", page=True),
    "page_platform_cases": Sample("GET", "/plateforme/dossiers", page=True),
    "page_reassign_cases": Sample(
        "POST",
        "/plateforme/dossiers/reattribuer",
        lambda: {"dossiers": "{case}", "nouveau_referent": "{user}"},
        page=True,
        form=True,
    ),
    "page_imports": Sample("GET", "/plateforme/imports", page=True),
    "page_upload_import": Sample("POST", "/plateforme/imports", upload=True, page=True),
    "page_import": Sample("GET", "/plateforme/imports/{import}", page=True, platform_scoped=True),
    "page_import_rejected": Sample(
        "GET", "/plateforme/imports/{import}/rejets.csv", page=True, platform_scoped=True
    ),
    "page_duplicates": Sample("GET", "/plateforme/doublons", page=True),
    "page_merge_duplicate": Sample(
        "POST", "/plateforme/doublons/d-unknown/fusionner", lambda: {}, page=True, unknown=True
    ),
    "page_keep_duplicate_apart": Sample(
        "POST", "/plateforme/doublons/d-unknown/separer", lambda: {}, page=True, unknown=True
    ),
    "page_access_log": Sample("GET", "/plateforme/journal", page=True),
    "page_decisions": Sample("GET", "/plateforme/decisions", page=True),
    "page_decide": Sample(
        "POST",
        "/plateforme/decisions/{case}",
        lambda: {"decision": "valider"},
        page=True,
        form=True,
        case_scoped=True,
        acts=True,
    ),
    "page_indicators": Sample("GET", "/indicateurs", page=True),
    "page_referrals": Sample("GET", "/signalements", page=True),
    "page_refer": _form("/signalements"),
    "page_admin": Sample("GET", "/administration", page=True),
    "page_case": Sample("GET", "/dossiers/{case}", page=True, case_scoped=True),
    "page_case_step": Sample(
        "POST",
        "/dossiers/{case}/etapes/record_contact_attempt",
        lambda: {"channel": "telephone", "result": "pas_de_reponse"},
        page=True,
        form=True,
        case_scoped=True,
        acts=True,
    ),
    "page_case_note": Sample(
        "POST",
        "/dossiers/{case}/notes",
        lambda: {"texte": "Rappeler lundi."},
        page=True,
        form=True,
        case_scoped=True,
    ),
    "page_case_rectify": Sample(
        "POST",
        "/dossiers/{case}/rectification",
        lambda: {},
        page=True,
        form=True,
        case_scoped=True,
        acts=True,
    ),
    "page_case_export": Sample("GET", "/dossiers/{case}/export", page=True, case_scoped=True),
    "page_admin_platforms": Sample("GET", "/administration/plateformes", page=True),
    "page_create_platform": _form("/administration/plateformes"),
    "page_admin_platform": Sample("GET", "/administration/plateformes/{platform}", page=True),
    "page_set_territory": _form("/administration/plateformes/{platform}/territoire"),
    "page_set_policy": _form("/administration/plateformes/{platform}/delais"),
    "page_set_time_zone": _form("/administration/plateformes/{platform}/fuseau"),
    "page_admin_structures": Sample("GET", "/administration/structures", page=True),
    "page_create_structure": _form("/administration/structures"),
    "page_admin_users": Sample("GET", "/administration/utilisateurs", page=True),
    "page_create_user": _form("/administration/utilisateurs"),
    "page_deactivate_user": _form(f"{UNKNOWN_USER}/desactiver", unknown=True),
    "page_reactivate_user": _form(f"{UNKNOWN_USER}/reactiver", unknown=True),
    "page_send_activation": _form(f"{UNKNOWN_USER}/lien", unknown=True),
    "page_admin_journal": Sample("GET", "/administration/journal", page=True),
    "page_admin_user": Sample("GET", "/administration/utilisateurs/{user}", page=True),
    "page_revoke_user_token": _form(f"{UNKNOWN_USER}/jetons/t-inconnu/revoquer", unknown=True),
}


def test_every_endpoint_has_a_sample_request() -> None:
    missing = sorted(set(endpoint_names(create_app().routes)) - set(SAMPLES))
    assert not missing, f"add a sample request for: {missing}"


@dataclass
class Caller:
    label: str
    member: Member | None
    role: Role | None
    sees_case: bool = False
    acts_on_case: bool = False
    on_platform: bool = False


def _callers(api: Api, team: Team, other: Team, owner: Member, pilot: Member) -> list[Caller]:
    colleague = next(r for r in team.ml_referents if r.id != owner.id)
    return [
        Caller("anonymous", None, None),
        Caller("referent owning the case", owner, Role.REFERENT, True, True, True),
        Caller("referent of the same structure", colleague, Role.REFERENT, True, False, True),
        Caller(
            "referent of another structure", team.mlds_referent, Role.REFERENT, on_platform=True
        ),
        Caller(
            "coordinator of the platform", team.coordinator, Role.COORDINATEUR, True, True, True
        ),
        Caller("coordinator of another platform", other.coordinator, Role.COORDINATEUR),
        Caller("pilot", pilot, Role.PILOTE),
        Caller("partner of the platform", team.partner, Role.PARTENAIRE, on_platform=True),
        Caller("admin", api.admin, Role.ADMIN),
    ]


def _expected(name: str, sample: Sample, caller: Caller) -> set[int] | None:
    """The statuses the rules allow; None means 'any success or business answer'."""
    allowed = ENDPOINT_ROLES[name]
    if allowed is PUBLIC:
        return {403} if sample.form else None
    if caller.role is None:
        return {303} if sample.page else {401}
    if caller.role not in allowed:
        return {403}
    if sample.case_scoped and not caller.sees_case:
        return {404}
    if sample.platform_scoped and not caller.on_platform:
        return {404}
    if sample.acts and not caller.acts_on_case:
        return {403}
    return None


def _fill(text: str, values: dict[str, str]) -> str:
    for key, value in values.items():
        text = text.replace("{" + key + "}", value)
    return text


def _body(sample: Sample, values: dict[str, str]) -> dict[str, Any] | None:
    if sample.body is None:
        return None
    body: dict[str, Any] = json.loads(_fill(json.dumps(sample.body()), values))
    return body


async def _import_id(api: Api, team: Team) -> str:
    response = await api.http.post(
        "/imports",
        files={"file": ("matrice.csv", SAMPLE_LIST, "text/csv")},
        headers=team.coordinator.headers,
    )
    assert response.status_code in (200, 202), response.text
    import_id: str = response.json()["id"]
    return import_id


async def test_access_matrix(api: Api) -> None:
    team, other = await api.team(), await api.team()
    case = await api.create_case(team)
    owner = team.member(case["referent_id"])
    pilot = await api.user("pilote", None)
    values = {
        "case": case["id"],
        "user": owner.id,
        "platform": team.platform_id,
        "import": await _import_id(api, team),
    }
    failures = []
    for name in endpoint_names(create_app().routes):
        sample = SAMPLES[name]
        for caller in _callers(api, team, other, owner, pilot):
            headers = caller.member.headers if caller.member else {}
            files = {"file": ("matrice.csv", SAMPLE_LIST, "text/csv")} if sample.upload else None
            body = _body(sample, values)
            response = await api.http.request(
                sample.method,
                _fill(sample.path, values),
                json=None if sample.form else body,
                data=body if sample.form else None,
                files=files,
                headers=headers,
            )
            expected = _expected(name, sample, caller)
            status = response.status_code
            business = (404,) if sample.unknown else (409, 422)
            ok = status in expected if expected else status < 400 or status in business
            if not ok:
                failures.append(f"{name} as {caller.label}: {status} (expected {expected})")
    assert not failures, "\n".join(failures)
