"""Timeline entries, written by an in-transaction subscriber for every record event."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from nexa.core.events import Event, jsonable, subscribe
from nexa.models import Activity

VERBS = {
    "created": "created",
    "updated": "updated",
    "deleted": "moved to the bin",
    "restored": "restored",
}


def summarise(event: Event) -> str:
    noun = event.record_type.replace("_", " ")
    verb = VERBS.get(event.name.rsplit(".", 1)[-1], event.name.rsplit(".", 1)[-1].replace("_", " "))
    who = event.actor_name or "Nexa"
    label = event.payload.get("name") or ""
    text = f"{who} {verb} {noun} {label}".strip()
    if event.changes and verb == "updated":
        fields = ", ".join(sorted(event.changes))[:300]
        text += f" ({fields})"
    return text[:500]


@subscribe("*")
def write_timeline_entry(session: Session, event: Event) -> None:
    if event.record_id is None:
        return
    data: dict[str, Any] = {"changes": jsonable(event.changes)} if event.changes else {}
    session.add(
        Activity(
            record_type=event.record_type,
            record_id=event.record_id,
            event=event.name,
            summary=summarise(event),
            actor_id=event.actor_id,
            actor_name=event.actor_name,
            occurred_at=event.occurred_at,
            data=data,
        )
    )
