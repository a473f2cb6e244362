"""Free-text notes on a case: written and read inside the author's platform only."""

from __future__ import annotations

from fastapi import APIRouter

from api.access import readable
from api.deps import CurrentUser, SessionDep
from api.schemas import NOTE_WARNING, NoteCreatedOut, NoteIn, NoteOut
from filrouge.store.access_log import AccessLogRepository
from filrouge.store.notes import NoteRepository
from filrouge.store.repositories import CaseRepository

router = APIRouter(prefix="/cases", tags=["notes"])


@router.post("/{case_id}/notes", response_model=NoteCreatedOut, status_code=201)
async def add_note(
    case_id: str, body: NoteIn, user: CurrentUser, session: SessionDep
) -> NoteCreatedOut:
    """Add a note; the answer reminds what must never be written in one."""
    case = readable(user, await CaseRepository(session).get(case_id))
    assert user.platform_id is not None
    note = await NoteRepository(session).add(case.id, user.platform_id, user.id, body.text)
    return NoteCreatedOut(note=NoteOut.model_validate(note), warning=NOTE_WARNING)


@router.get("/{case_id}/notes", response_model=list[NoteOut])
async def list_notes(case_id: str, user: CurrentUser, session: SessionDep) -> list[NoteOut]:
    """The notes written inside the caller's platform, oldest first (the read is logged)."""
    case = readable(user, await CaseRepository(session).get(case_id))
    assert user.platform_id is not None
    AccessLogRepository(session).record(case, user.id, user.role.value, "notes")
    notes = await NoteRepository(session).visible(case.id, user.platform_id)
    return [NoteOut.model_validate(n) for n in notes]
