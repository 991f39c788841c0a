"""The life-cycle events every object on ``RecordService`` publishes
(``<object>.created/updated/deleted/restored``) and their one payload class."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from nexa.core.events import UNSET, EventPayload, EventType, Unset, declare


@dataclass(frozen=True, kw_only=True)
class RecordPayload(EventPayload):
    """A record's life-cycle event: its name, the fields its service's ``payload`` hook adds
    (``details``: a lead's email and status, a quote's total …), the records it is linked
    to, and its owner when the service announces owners."""

    trailing: ClassVar[tuple[str, ...]] = ("owner_id",)

    name: str | Unset | None = UNSET
    details: Mapping[str, Any] = field(default_factory=dict)
    # "enrichment" on the lead.updated the enrichment re-run publishes
    source: str | Unset = UNSET
    related_type: str | Unset | None = UNSET
    related_id: str | Unset | None = UNSET
    also_on: list[list[str]] | Unset = UNSET
    owner_id: str | Unset = UNSET

    @classmethod
    def of(cls, data: Mapping[str, Any], *, owner_id: str | Unset = UNSET) -> RecordPayload:
        """Split a service's ``payload`` hook output into the named fields and ``details``."""
        named = {k: data[k] for k in NAMED if k in data}
        details = {k: v for k, v in data.items() if k not in named and k != "owner_id"}
        if "owner_id" in data:
            owner_id = data["owner_id"]
        return cls(**named, details=details, owner_id=owner_id)


NAMED = ("name", "source", "related_type", "related_id", "also_on")

LIFECYCLE = (
    ("created", "was created"),
    ("updated", "'s fields changed"),
    ("deleted", "was moved to the bin"),
    ("restored", "was restored"),
)


def declare_lifecycle(object_name: str, label: str) -> list[EventType]:
    """Declare ``<object>.created/updated/deleted/restored`` (idempotent)."""
    return [
        declare(
            f"{object_name}.{verb}",
            payload=RecordPayload,
            permission=f"{object_name}:read",
            description=f"A {label}{' ' if not text.startswith(chr(39)) else ''}{text}",
        )
        for verb, text in LIFECYCLE
    ]


def declare_record_event(
    object_name: str, verb: str, description: str, *, permission: str | None = None
) -> EventType:
    """Another event about a record that carries its life-cycle payload (a task completed,
    a quote sent): published with ``RecordService.publish(verb, record)``."""
    return declare(
        f"{object_name}.{verb}",
        payload=RecordPayload,
        permission=permission or f"{object_name}:read",
        description=description,
    )
