"""Free-text notes on a case: written and read inside the author's platform only."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import CurrentUser, SessionDep
from api.schemas import NOTE_WARNING, NoteCreatedOut, NoteIn, NoteOut
from filrouge.services.cases.reading import CaseReader

router = APIRouter(prefix="/cases", tags=["notes"])


@router.post("/{case_id}/notes", response_model=NoteCreatedOut, status_code=201)
async def add_note(
    case_id: str, body: NoteIn, user: CurrentUser, session: SessionDep
) -> NoteCreatedOut:
    """Add a note; the answer reminds what must never be written in one."""
    note = await CaseReader(session).add_note(user, case_id, body.text)
    return NoteCreatedOut(note=NoteOut.model_validate(note), warning=NOTE_WARNING)


@router.get("/{case_id}/notes", response_model=list[NoteOut])
async def list_notes(case_id: str, user: CurrentUser, session: SessionDep) -> list[NoteOut]:
    """The notes written inside the caller's platform, oldest first (the read is logged)."""
    return [NoteOut.model_validate(n) for n in await CaseReader(session).notes(user, case_id)]
