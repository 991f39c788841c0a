"""/api/v1/notes."""

from __future__ import annotations

from nexa.api.records import record_router
from nexa.note.schemas import NoteCreate, NoteOut, NoteUpdate
from nexa.note.service import NoteService
from nexa.note.shape import NOTES

router = record_router(
    prefix="/notes",
    noun="a note",
    plural="notes",
    service=NoteService,
    create_model=NoteCreate,
    update_model=NoteUpdate,
    out_model=NoteOut,
    shaper=NOTES,
)
