"""Timeline entries, written by an in-transaction subscriber for every record event."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from nexa.activity.repository import ActivityRepository
from nexa.core.events import Event, batch_form, jsonable, subscribe
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


def timeline_rows(event: Event) -> list[dict[str, Any]]:
    """The timeline entries of one event: on its record and on each record it is linked to."""
    if event.record_id is None:
        return []
    data: dict[str, Any] = {"changes": jsonable(event.changes)} if event.changes else {}
    summary = summarise(event)
    rows = []
    for record_type, record_id in [(event.record_type, event.record_id), *linked_records(event)]:
        entry = dict(data)
        if record_id != event.record_id:
            entry["source"] = {"record_type": event.record_type, "record_id": str(event.record_id)}
        rows.append(
            {
                "record_type": record_type,
                "record_id": record_id,
                "event": event.name,
                "summary": summary,
                "actor_id": event.actor_id,
                "actor_name": event.actor_name,
                "occurred_at": event.occurred_at,
                "data": entry,
            }
        )
    return rows


@subscribe("*")
def write_timeline_entry(session: Session, event: Event) -> None:
    for row in timeline_rows(event):
        session.add(Activity(**row))


@batch_form(write_timeline_entry)
def write_timeline_entries(session: Session, events: list[Event]) -> None:
    """``write_timeline_entry`` for many events: one executemany."""
    rows = [{"id": uuid.uuid4(), **row} for event in events for row in timeline_rows(event)]
    if rows:
        ActivityRepository(session).insert_entries(rows)
