"""The events contacts publish (their life cycle, with the shared record payload)."""

from __future__ import annotations

from nexa.core.events import declare
from nexa.record.events import RecordPayload

CONTACT_EVENTS = [
    declare(
        "contact.created",
        payload=RecordPayload,
        permission="contact:read",
        description="A contact was created",
    ),
    declare(
        "contact.updated",
        payload=RecordPayload,
        permission="contact:read",
        description="A contact's fields changed",
    ),
    declare(
        "contact.deleted",
        payload=RecordPayload,
        permission="contact:read",
        description="A contact was moved to the bin",
    ),
    declare(
        "contact.restored",
        payload=RecordPayload,
        permission="contact:read",
        description="A contact was restored",
    ),
]
