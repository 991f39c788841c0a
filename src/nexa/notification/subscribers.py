"""Notifications created in the same transaction as the change that causes them."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from nexa.core.events import Event, subscribe
from nexa.notification.service import notify


@subscribe("*.updated")
def notify_new_owner(session: Session, event: Event) -> None:
    """ "<record> assigned to you" when someone else hands a record over."""
    change = event.changes.get("owner_id")
    if not change or change[1] is None or change[1] == event.actor_id:
        return
    noun = event.record_type.replace("_", " ")
    by = event.actor_name or "Nexa"
    label = event.payload.label
    notify(
        session,
        user_id=change[1],
        kind="assigned",
        title=(
            f"{noun.capitalize()} {label} assigned to you by {by}"
            if label
            else f"{by} assigned a {noun} to you"
        ),
        record_type=event.record_type,
        record_id=event.record_id,
    )


@subscribe("*.created")
def notify_owner_of_new_record(session: Session, event: Event) -> None:
    """ "New <record> assigned to you" when a record is created for someone else (a web form
    routing a lead to a rep, onboarding tasks made by the closed-won flow)."""
    owner = event.payload.owner
    if not owner or owner == str(event.actor_id):
        return
    noun = event.record_type.replace("_", " ")
    label = event.payload.label
    notify(
        session,
        user_id=uuid.UUID(str(owner)),
        kind="assigned",
        title=f"New {noun} {label} assigned to you"
        if label
        else f"A new {noun} is assigned to you",
        record_type=event.record_type,
        record_id=event.record_id,
    )
