"""Timeline entries, written by an in-transaction subscriber for every record event."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from nexa.core.events import Event, jsonable, subscribe
from nexa.models import Activity

VERBS = {
    "created": "created",
    "updated": "updated",
    "deleted": "moved to the bin",
    "restored": "restored",
    "replied": "received a reply by",  # "Nexa received a reply by email Re: …"
}


def summarise(event: Event) -> str:
    noun = event.record_type.replace("_", " ")
    verb = VERBS.get(event.name.rsplit(".", 1)[-1], event.name.rsplit(".", 1)[-1].replace("_", " "))
    who = event.actor_name or "Nexa"
    label = event.payload.label or ""
    text = f"{who} {verb} {noun} {label}".strip()
    if event.changes and verb == "updated":
        fields = ", ".join(sorted(event.changes))[:300]
        text += f" ({fields})"
    return text[:500]


def linked_records(event: Event) -> list[tuple[str, uuid.UUID]]:
    """Other records whose timeline shows this event: the record a task, meeting, call or
    note is linked to (``related_type``/``related_id``), and any listed in ``also_on``."""
    found: list[tuple[str, uuid.UUID]] = []
    for record_type, record_id in event.payload.links:
        key = (record_type, uuid.UUID(record_id))
        if key != (event.record_type, event.record_id) and key not in found:
            found.append(key)
    return found


@subscribe("*")
def write_timeline_entry(session: Session, event: Event) -> None:
    if event.record_id is None:
        return
    data: dict[str, Any] = {"changes": jsonable(event.changes)} if event.changes else {}
    summary = summarise(event)
    targets = [(event.record_type, event.record_id), *linked_records(event)]
    for record_type, record_id in targets:
        entry = dict(data)
        if record_id != event.record_id:
            entry["source"] = {"record_type": event.record_type, "record_id": str(event.record_id)}
        session.add(
            Activity(
                record_type=record_type,
                record_id=record_id,
                event=event.name,
                summary=summary,
                actor_id=event.actor_id,
                actor_name=event.actor_name,
                occurred_at=event.occurred_at,
                data=entry,
            )
        )
