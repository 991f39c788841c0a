"""The assignee's notification (a new lead is routed by the intake flow,
nexa.lead.flows.intake_leads), and the owner's first response stopping the SLA clock."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from nexa.core.events import Event, subscribe
from nexa.lead.events import LeadStatusChanged
from nexa.notification.service import notify
from nexa.record.events import RecordPayload
from nexa.routing import service
from nexa.routing.events import LeadRouted

# activities whose creation on a lead, by its owner, is a first response
RESPONSE_EVENTS = ("call.created", "meeting.created", "note.created", "task.completed", "email.*")


@subscribe("lead.routed")
def notify_assignee(session: Session, event: Event) -> None:
    """ "Urgent lead X routed to you — respond by …" for the rep routing picked."""
    routed = event.payload
    if not isinstance(routed, LeadRouted):
        return
    owner = routed.owner_id
    if not routed.assigned or not owner or owner == str(event.actor_id):
        return
    priority = routed.priority or "normal"
    due = routed.sla_due_at[:16].replace("T", " ")
    notify(
        session,
        user_id=uuid.UUID(owner),
        kind="lead.routed",
        title=f"{priority.capitalize()} lead {routed.name or ''} routed to you",
        body=f"Respond by {due} UTC ({routed.sla_minutes} working minutes).",
        record_type="lead",
        record_id=event.record_id,
    )


@subscribe("lead.status_changed")
def status_moved_from_new(session: Session, event: Event) -> None:
    moved = event.payload
    if (
        isinstance(moved, LeadStatusChanged)
        and event.record_id is not None
        and moved.from_ == "new"
    ):
        service.owner_responded(session, event.record_id, event.actor_id)


def _activity_on_lead(session: Session, event: Event) -> None:
    payload = event.payload
    if not isinstance(payload, RecordPayload):
        return
    if payload.related_type != "lead" or not payload.related_id:
        return
    service.owner_responded(session, uuid.UUID(str(payload.related_id)), event.actor_id)


for _pattern in RESPONSE_EVENTS:
    subscribe(_pattern)(_activity_on_lead)
