"""The events quotes publish: their life cycle and status moves (record payload)."""

from __future__ import annotations

from nexa.record.events import declare_lifecycle, declare_record_event

QUOTE_EVENTS = [
    *declare_lifecycle("quote", "quote"),
    declare_record_event("quote", "sent", "A quote was sent"),
    declare_record_event("quote", "accepted", "A quote was accepted"),
    declare_record_event("quote", "declined", "A quote was declined"),
    declare_record_event("quote", "expired", "A quote passed its validity"),
]
