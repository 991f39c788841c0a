"""The events meetings publish: their life cycle, with the shared record payload."""

from __future__ import annotations

from nexa.record.events import declare_lifecycle

MEETING_EVENTS = declare_lifecycle("meeting", "meeting")
