"""The assignee's notification (a new lead is routed by the intake flow,
nexa.lead.flows.intake_leads), and the owner's first response stopping the SLA clock."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from nexa.core.events import Event, subscribe
from nexa.notification.service import notify
from nexa.routing import service

# activities whose creation on a lead, by its owner, is a first response
RESPONSE_EVENTS = ("call.created", "meeting.created", "note.created", "task.completed", "email.*")


@subscribe("lead.routed")
def notify_assignee(session: Session, event: Event) -> None:
    """ "Urgent lead X routed to you — respond by …" for the rep routing picked."""
    owner = event.payload.get("owner_id")
    if not event.payload.get("assigned") or not owner or str(owner) == str(event.actor_id):
        return
    priority = str(event.payload.get("priority") or "normal")
    due = str(event.payload.get("sla_due_at") or "")[:16].replace("T", " ")
    notify(
        session,
        user_id=uuid.UUID(str(owner)),
        kind="lead.routed",
        title=f"{priority.capitalize()} lead {event.payload.get('name') or ''} routed to you",
        body=f"Respond by {due} UTC ({event.payload.get('sla_minutes')} working minutes).",
        record_type="lead",
        record_id=event.record_id,
    )


@subscribe("lead.status_changed")
def status_moved_from_new(session: Session, event: Event) -> None:
    if event.record_id is not None and event.payload.get("from") == "new":
        service.owner_responded(session, event.record_id, event.actor_id)


def _activity_on_lead(session: Session, event: Event) -> None:
    if event.payload.get("related_type") != "lead" or not event.payload.get("related_id"):
        return
    service.owner_responded(session, uuid.UUID(str(event.payload["related_id"])), event.actor_id)


for _pattern in RESPONSE_EVENTS:
    subscribe(_pattern)(_activity_on_lead)
