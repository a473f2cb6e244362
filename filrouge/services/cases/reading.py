"""Reading cases: one case, a page of them, the history and its verification, notes.

Every read of personal data is logged. Runs in the door's transaction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from filrouge.core.audit import ChainVerification
from filrouge.core.caller import Caller
from filrouge.core.domain import Role, Stage
from filrouge.core.routing import RoutingGap, TerritoryIndex, routing_gap
from filrouge.intake.columns import normalize_header
from filrouge.services.access.cases import readable
from filrouge.store.access_log import AccessLogRepository
from filrouge.store.audit_repository import AuditRepository
from filrouge.store.models import AuditEvent, Case, CaseNote, User
from filrouge.store.notes import NoteRepository
from filrouge.store.repositories import (
    CaseFilters,
    CaseRepository,
    PersonSearch,
    ReferenceRepository,
)


@dataclass(frozen=True)
class CaseQuery:
    """What a caller asks of the case list (their own scope is added here)."""

    stage: Stage | None = None
    platform_id: str | None = None
    referent_id: str | None = None
    overdue_at: datetime | None = None
    limit: int = 50
    offset: int = 0


@dataclass(frozen=True)
class WorklistQuery:
    """A référent's or coordinator's working list: filters, and who is looked for."""

    now: datetime
    stage: Stage | None = None
    overdue: bool = False
    referent_id: str | None = None
    escalated: bool = False  # only those escalated to the coordinators, still pending
    text: str = ""
    limit: int = 50
    offset: int = 0


@dataclass(frozen=True)
class CaseFile:
    """One case as its page shows it: the case, its history and its check, the notes."""

    case: Case
    history: list[AuditEvent]
    verification: ChainVerification
    notes: list[CaseNote]


# An INE: 11 letters and digits, with at least one digit (a name has none).
_INE = re.compile(r"^(?=.*[0-9])[0-9A-Za-z]{11}$")


def person_search(text: str) -> PersonSearch | None:
    """What a search box's text looks for: an INE, or the start of a name (None: nothing)."""
    text = text.strip()
    if _INE.match(text):
        return PersonSearch(ine=text.upper())
    prefix = normalize_header(text)
    return PersonSearch(name_prefix=prefix) if prefix else None


class CaseReader:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.cases = CaseRepository(session)

    async def case(self, caller: Caller, case_id: str, view: str | None = "case") -> Case:
        """The case if the caller may read it; the read is logged under `view`."""
        case = readable(caller, await self.cases.get(case_id))
        if view:
            AccessLogRepository(self.session).record(case, caller.id, caller.role.value, view)
        return case

    async def page(self, caller: Caller, query: CaseQuery) -> tuple[list[Case], int]:
        """The cases the caller may see matching the query, and their total."""
        if query.platform_id and query.platform_id != caller.platform_id:
            return [], 0
        referent = caller.role == Role.REFERENT
        filters = CaseFilters(
            platform_id=caller.platform_id,
            structure_id=caller.structure_id if referent else None,
            visible_to_referent=caller.id if referent else None,
            stage=query.stage,
            referent_id=query.referent_id,
            overdue_at=query.overdue_at,
            limit=query.limit,
            offset=query.offset,
        )
        return await self.cases.search(filters)

    async def worklist(self, caller: Caller, query: WorklistQuery) -> tuple[list[Case], int]:
        """The cases the caller may see, most urgent first, optionally searched by name or INE
        inside the caller's platform."""
        referent = caller.role == Role.REFERENT
        filters = CaseFilters(
            platform_id=caller.platform_id,
            structure_id=caller.structure_id if referent else None,
            visible_to_referent=caller.id if referent else None,
            stage=query.stage,
            referent_id=query.referent_id,
            overdue_at=query.now if query.overdue else None,
            escalated=query.escalated,
            limit=query.limit,
            offset=query.offset,
        )
        search = person_search(query.text) if query.text else None
        rows, total = await self.cases.worklist(filters, query.now, search)
        # The list shows names: each case shown is a read of personal data, and is logged.
        view = "search" if search else "worklist"
        await AccessLogRepository(self.session).record_many(
            rows, caller.id, caller.role.value, view
        )
        return rows, total

    async def routing_gaps(self, cases: list[Case]) -> dict[str, RoutingGap]:
        """Why each of these cases at « à router » (its identity known) waits for a référent:
        its address is in no territory, in its platform's with no référent free, or in
        another platform's. Territories are read only when such a case is listed."""
        waiting = [(c, c.identity) for c in cases if c.stage == Stage.A_ROUTER and c.identity]
        if not waiting:
            return {}
        stored = await ReferenceRepository(self.session).territories()
        index = TerritoryIndex.from_json((platform_id, t) for platform_id, _, t in stored)
        return {
            case.id: routing_gap(index, case.platform_id, who.commune_insee, who.postal_code)
            for case, who in waiting
        }

    async def file(self, caller: Caller, case_id: str, view: str = "case_page") -> CaseFile:
        """The case, its complete history, the check of its hash chain and the notes of the
        caller's platform: one read, logged under `view`."""
        case = await self.case(caller, case_id, view)
        audit = AuditRepository(self.session)
        history, verification = await audit.history(case.id), await audit.verify(case)
        return CaseFile(case, history, verification, await self.notes_of(caller, case))

    async def colleagues(self, caller: Caller) -> list[User]:
        """The users of the caller's platform (names in a history, référents to assign)."""
        if caller.platform_id is None:
            return []
        return await ReferenceRepository(self.session).users(caller.platform_id)

    async def history(self, caller: Caller, case_id: str) -> list[AuditEvent]:
        """The case's complete audit log, in order (the read is logged)."""
        case = await self.case(caller, case_id, "history")
        return await AuditRepository(self.session).history(case.id)

    async def verify(self, caller: Caller, case_id: str) -> ChainVerification:
        """Check the hash chain: detects any edited, inserted or deleted audit row."""
        case = await self.case(caller, case_id, None)
        return await AuditRepository(self.session).verify(case)

    async def add_note(self, caller: Caller, case_id: str, text: str) -> CaseNote:
        """A free-text note, kept inside the caller's platform."""
        case = await self.case(caller, case_id, None)
        assert caller.platform_id is not None
        return await NoteRepository(self.session).add(case.id, caller.platform_id, caller.id, text)

    async def notes(self, caller: Caller, case_id: str) -> list[CaseNote]:
        """The notes written inside the caller's platform, oldest first (the read is logged)."""
        return await self.notes_of(caller, await self.case(caller, case_id, "notes"))

    async def notes_of(self, caller: Caller, case: Case) -> list[CaseNote]:
        """The notes of a case already read, written inside the caller's platform."""
        assert caller.platform_id is not None
        return await NoteRepository(self.session).visible(case.id, caller.platform_id)
