"""What of a note leaves the service (API, web, events): see record/shapes.py."""

from __future__ import annotations

from nexa.note.schemas import NoteOut
from nexa.record.shapes import Shaper, register

NOTES = register(Shaper("note", NoteOut))
