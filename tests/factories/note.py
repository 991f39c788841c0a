"""Notes for tests, created through the service (so events, audit and timeline run)."""

from __future__ import annotations

from typing import Any

from nexa.core.actor import SYSTEM, Actor
from nexa.models import Note
from nexa.note.schemas import NoteCreate
from nexa.note.service import NoteService


def make_note(db: Any, actor: Actor | None = None, **fields: Any) -> Note:
    fields.setdefault("body", "Called, left a voicemail.")
    return NoteService(db, actor or SYSTEM).create(NoteCreate(**fields))
