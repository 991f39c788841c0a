"""The events lists publish: their life cycle (record payload) and membership changes."""

from __future__ import annotations

from dataclasses import dataclass

from nexa.core.events import EventPayload, declare
from nexa.record.events import declare_lifecycle


@dataclass(frozen=True, kw_only=True)
class ListMembersChanged(EventPayload):
    """Up to ``EVENT_CAP`` records added to or removed from a static list."""

    name: str
    object_type: str
    count: int
    record_ids: list[str]
    also_on: list[list[str]]


LIST_EVENTS = [
    *declare_lifecycle("list", "list"),
    declare(
        "list.members_added",
        payload=ListMembersChanged,
        permission="list:read",
        description="Records were added to a static list",
    ),
    declare(
        "list.members_removed",
        payload=ListMembersChanged,
        permission="list:read",
        description="Records were removed from a static list",
    ),
]
