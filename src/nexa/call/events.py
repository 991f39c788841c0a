"""The events calls publish: their life cycle and the recording's (record payload)."""

from __future__ import annotations

from nexa.record.events import declare_lifecycle, declare_record_event

CALL_EVENTS = [
    *declare_lifecycle("call", "call"),
    declare_record_event("call", "recording_uploaded", "A call recording was added"),
    declare_record_event("call", "recording_deleted", "A call recording was removed"),
]
