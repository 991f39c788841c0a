"""The events notes publish: their life cycle, with the shared record payload."""

from __future__ import annotations

from nexa.record.events import declare_lifecycle

NOTE_EVENTS = declare_lifecycle("note", "note")
