"""The bare web stack reference: FastAPI + SQLAlchemy Core + Pydantic, nothing else.

``GET /contacts/{id}`` reads one contact row by id from the same SQLite file Nexa uses and
returns it through a Pydantic response model; ``GET /contacts`` reads the first 50 live leads by
last name. No auth, no permissions, no middleware: this is the floor Nexa's API is measured
against.

Run: ``uvicorn --app-dir bench bare_app:app`` with ``NEXA_DATABASE_URL`` set.
"""

from __future__ import annotations

import os
import uuid
from datetime import datetime
from typing import Any

from fastapi import FastAPI, HTTPException
from pydantic import BaseModel, Field
from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    Uuid,
    create_engine,
    select,
)

engine = create_engine(os.environ["NEXA_DATABASE_URL"])
metadata = MetaData()
contacts = Table(
    "contacts",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("first_name", String),
    Column("last_name", String),
    Column("email", String),
    Column("phone", String),
    Column("mobile", String),
    Column("title", String),
    Column("department", String),
    Column("linkedin_url", String),
    Column("account_id", Uuid),
    Column("reporting_to_id", Uuid),
    Column("lifecycle_stage", String),
    Column("customer_status", String),
    Column("tags", JSON),
    Column("custom_fields", JSON),
    Column("owner_id", Uuid),
    Column("last_activity_at", DateTime),
    Column("version", Integer),
    Column("created_at", DateTime),
    Column("updated_at", DateTime),
    Column("deleted_at", DateTime),
)


class ContactOut(BaseModel):
    id: uuid.UUID
    first_name: str
    last_name: str
    full_name: str
    email: str | None = None
    phone: str | None = None
    mobile: str | None = None
    title: str | None = None
    department: str | None = None
    linkedin_url: str | None = None
    account_id: uuid.UUID | None = None
    reporting_to_id: uuid.UUID | None = None
    lifecycle_stage: str
    customer_status: str | None = None
    tags: list[str] = Field(default_factory=list)
    custom_fields: dict[str, Any] = Field(default_factory=dict)
    owner_id: uuid.UUID | None = None
    last_activity_at: datetime | None = None
    version: int
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None = None


app = FastAPI()


@app.get("/contacts", response_model=list[ContactOut])
def list_contacts(limit: int = 50) -> list[dict[str, Any]]:
    """The list reference: live leads sorted by last name (what Nexa's filtered list reads)."""
    query = (
        select(contacts)
        .where(contacts.c.lifecycle_stage == "lead", contacts.c.deleted_at.is_(None))
        .order_by(contacts.c.last_name, contacts.c.id)
        .limit(limit)
    )
    with engine.connect() as conn:
        rows = conn.execute(query).mappings().all()
    return [_out(row) for row in rows]


@app.get("/contacts/{contact_id}", response_model=ContactOut)
def get_contact(contact_id: uuid.UUID) -> dict[str, Any]:
    with engine.connect() as conn:
        row = conn.execute(select(contacts).where(contacts.c.id == contact_id)).mappings().first()
    if row is None:
        raise HTTPException(status_code=404)
    return _out(row)


def _out(row: Any) -> dict[str, Any]:
    return {**row, "full_name": f"{row['first_name']} {row['last_name']}".strip()}
