"""Contacts for tests, created through the service (so events, audit and timeline run)."""

from __future__ import annotations

import uuid
from typing import Any

from nexa.contact.schemas import ContactCreate
from nexa.contact.service import create_contact
from nexa.core.actor import SYSTEM, Actor
from nexa.models import Contact


def make_contact(db: Any, actor: Actor | None = None, **fields: Any) -> Contact:
    fields.setdefault("first_name", "Pat")
    fields.setdefault("last_name", f"Contact {uuid.uuid4().hex[:10]}")
    return create_contact(db, actor or SYSTEM, ContactCreate(**fields))
