"""The events accounts publish (their life cycle, with the shared record payload)."""

from __future__ import annotations

from nexa.core.events import declare
from nexa.record.events import RecordPayload

ACCOUNT_EVENTS = [
    declare(
        "account.created",
        payload=RecordPayload,
        permission="account:read",
        description="An account was created",
    ),
    declare(
        "account.updated",
        payload=RecordPayload,
        permission="account:read",
        description="An account's fields changed",
    ),
    declare(
        "account.deleted",
        payload=RecordPayload,
        permission="account:read",
        description="An account was moved to the bin",
    ),
    declare(
        "account.restored",
        payload=RecordPayload,
        permission="account:read",
        description="An account was restored",
    ),
]
