"""Who may see and act on a case: the rule every door (API, pages) applies the same way."""

from __future__ import annotations

from enum import StrEnum

from filrouge.core.caller import Caller
from filrouge.core.cases.steps import roles_for
from filrouge.core.domain import Role
from filrouge.core.errors import Forbidden, NotFound
from filrouge.store.models import Case


class CaseAccess(StrEnum):
    NONE = "none"
    READ = "read"
    ACT = "act"


def case_access(caller: Caller, case: Case) -> CaseAccess:
    """Coordinators act on their platform's cases; a référent acts on the cases assigned to
    them and reads the others of their structure; nobody else sees a case."""
    if caller.platform_id is None or case.platform_id != caller.platform_id:
        return CaseAccess.NONE
    if caller.role == Role.COORDINATEUR:
        return CaseAccess.ACT
    if caller.role == Role.REFERENT and case.referent_id == caller.id:
        return CaseAccess.ACT
    if (
        caller.role == Role.REFERENT
        and caller.structure_id
        and case.structure_id == caller.structure_id
    ):
        return CaseAccess.READ
    return CaseAccess.NONE


def readable(caller: Caller, case: Case | None) -> Case:
    """The case if the caller may read it; NotFound otherwise (its existence is not revealed)."""
    if case is None or case_access(caller, case) == CaseAccess.NONE:
        raise NotFound("Dossier introuvable.")
    return case


def actionable(caller: Caller, case: Case | None, step_type: type) -> Case:
    """The case if the caller may perform this step on it: NotFound if unseen, Forbidden if
    read-only or not their role's step."""
    case = readable(caller, case)
    if caller.role not in roles_for(step_type):
        raise Forbidden("Cette action n'est pas autorisée pour votre rôle.")
    if case_access(caller, case) != CaseAccess.ACT:
        raise Forbidden("Ce dossier est suivi par un autre référent : accès en lecture seule.")
    return case
