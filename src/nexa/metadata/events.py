"""The events custom field definitions publish."""

from __future__ import annotations

from dataclasses import dataclass

from nexa.core.events import EventPayload, declare


@dataclass(frozen=True, kw_only=True)
class CustomFieldCreated(EventPayload):
    object_type: str
    key: str


@dataclass(frozen=True, kw_only=True)
class CustomFieldUpdated(EventPayload):
    """Only ``changes`` says what changed."""


declare(
    "custom_field.created",
    payload=CustomFieldCreated,
    permission="custom_field:read",
    description="A custom field was defined",
)
declare(
    "custom_field.updated",
    payload=CustomFieldUpdated,
    permission="custom_field:read",
    description="A custom field changed",
)
