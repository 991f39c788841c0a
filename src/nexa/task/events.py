"""The events tasks publish: their life cycle and ``task.completed`` (record payload)."""

from __future__ import annotations

from nexa.record.events import declare_lifecycle, declare_record_event

TASK_EVENTS = [
    *declare_lifecycle("task", "task"),
    declare_record_event("task", "completed", "A task was marked done"),
]
