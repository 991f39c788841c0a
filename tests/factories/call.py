"""Calls for tests, created through the service (so events, audit and timeline run)."""

from __future__ import annotations

from typing import Any

from nexa.call.schemas import CallCreate
from nexa.call.service import CallService
from nexa.core.actor import SYSTEM, Actor
from nexa.models import Call


def make_call(db: Any, actor: Actor | None = None, **fields: Any) -> Call:
    fields.setdefault("subject", "Intro call")
    fields.setdefault("direction", "outbound")
    return CallService(db, actor or SYSTEM).create(CallCreate(**fields))
