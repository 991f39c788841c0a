"""Accounts for tests, created through the service (so events, audit and timeline run)."""

from __future__ import annotations

import uuid
from typing import Any

from nexa.account.schemas import AccountCreate
from nexa.account.service import create_account
from nexa.core.actor import SYSTEM, Actor
from nexa.models import Account


def make_account(
    db: Any, actor: Actor | None = None, *, owner_id: uuid.UUID | None = None, **fields: Any
) -> Account:
    fields.setdefault("name", f"Account {uuid.uuid4().hex[:10]}")
    if owner_id is not None:
        fields["owner_id"] = owner_id
    return create_account(db, actor or SYSTEM, AccountCreate(**fields))
