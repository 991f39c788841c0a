"""Lists for tests, created through the service (so events, audit and timeline run)."""

from __future__ import annotations

import uuid
from typing import Any

from nexa.core.actor import SYSTEM, Actor
from nexa.models import RecordList
from nexa.segment.schemas import ListCreate
from nexa.segment.service import ListService


def make_list(
    db: Any, actor: Actor | None = None, *, owner_id: uuid.UUID | None = None, **fields: Any
) -> RecordList:
    fields.setdefault("name", f"List {uuid.uuid4().hex[:10]}")
    extra = {"owner_id": owner_id} if owner_id is not None else {}
    return ListService(db, actor or SYSTEM).create(ListCreate(**fields), **extra)
