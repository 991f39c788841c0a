"""Names of the records a page refers to (owners, accounts, contacts …), fetched in one
query per record type whatever the number of rows, and only for records the actor can read."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from nexa.core.actor import Actor
from nexa.core.names import person_name
from nexa.core.repository import REPOSITORIES
from nexa.models import Pipeline, User, WebForm

# field -> record type (None: the type is in the row's related_type)
FIELD_TYPES: dict[str, str | None] = {
    "owner_id": "user",
    "created_by_id": "user",
    "assigned_to_id": "user",
    "user_id": "user",
    "account_id": "account",
    "parent_id": "account",
    "contact_id": "contact",
    "primary_contact_id": "contact",
    "reports_to_id": "contact",
    "deal_id": "deal",
    "lead_id": "lead",
    "quote_id": "quote",
    "pipeline_id": "pipeline",
    "web_form_id": "web_form",
    "converted_contact_id": "contact",
    "converted_account_id": "account",
    "converted_deal_id": "deal",
    "list": "list",  # the filter language's list membership (list:eq:<list id>)
    "related_id": None,
}
PATHS = {
    "lead": "leads",
    "contact": "contacts",
    "account": "accounts",
    "deal": "deals",
    "quote": "quotes",
    "order": "orders",
    "task": "tasks",
    "meeting": "meetings",
    "call": "calls",
    "note": "notes",
    "product": "products",
    "list": "lists",
}


def record_title(record_type: str, record: Any) -> str:
    if record_type in ("lead", "contact"):
        return person_name(record.first_name, record.last_name) or "—"
    for attr in ("name", "title", "subject", "number"):
        value = getattr(record, attr, None)
        if value:
            return str(value)
    body = getattr(record, "body", None)
    return (str(body)[:60] if body else None) or str(record.id)[:8]


class Names:
    """``names.get(field, value, row)`` → (title, url or None)."""

    def __init__(self, found: dict[tuple[str, uuid.UUID], tuple[str, str | None]]) -> None:
        self.found = found

    def get(
        self, field: str, value: Any, row: dict[str, Any] | None = None
    ) -> tuple[str, str | None] | None:
        record_type = FIELD_TYPES.get(field)
        if record_type is None and field == "related_id" and row:
            record_type = row.get("related_type")
        if record_type is None or value is None:
            return None
        try:
            key = (record_type, uuid.UUID(str(value)))
        except ValueError:
            return None
        return self.found.get(key, ("(hidden)", None))


def resolve(
    session: Session, actor: Actor, rows: Iterable[dict[str, Any]], fields: Iterable[str]
) -> Names:
    wanted: dict[str, set[uuid.UUID]] = {}
    fields = [f for f in fields if f in FIELD_TYPES]
    for row in rows:
        for f in fields:
            value = row.get(f)
            if value is None:
                continue
            record_type = FIELD_TYPES[f] or row.get("related_type")
            if not record_type:
                continue
            try:
                wanted.setdefault(record_type, set()).add(uuid.UUID(str(value)))
            except ValueError:
                continue
    found: dict[tuple[str, uuid.UUID], tuple[str, str | None]] = {}
    for record_type, ids in wanted.items():
        if record_type == "user":
            for uid, name in session.execute(
                select(User.id, User.full_name).where(User.id.in_(ids))
            ):
                found[("user", uid)] = (name, None)
        elif record_type == "web_form":
            for fid, name in session.execute(
                select(WebForm.id, WebForm.name).where(WebForm.id.in_(ids))
            ):
                found[("web_form", fid)] = (name, None)
        elif record_type == "pipeline":
            for pid, name in session.execute(
                select(Pipeline.id, Pipeline.name).where(Pipeline.id.in_(ids))
            ):
                found[("pipeline", pid)] = (name, None)
        elif record_type in REPOSITORIES:
            repo = REPOSITORIES[record_type](session)
            for record in session.scalars(repo.readable(actor).where(repo.model.id.in_(ids))):
                path = PATHS.get(record_type)
                found[(record_type, record.id)] = (
                    record_title(record_type, record),
                    f"/{path}/{record.id}" if path else None,
                )
    return Names(found)
