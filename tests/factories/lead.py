"""Leads and web forms for tests, created through the services (events, audit, timeline)."""

from __future__ import annotations

import uuid
from typing import Any

from nexa.core.actor import SYSTEM, Actor
from nexa.lead.schemas import LeadCreate, WebFormCreate
from nexa.lead.service import LeadService
from nexa.lead.webform import create_form
from nexa.models import Lead, WebForm


def make_lead(db: Any, actor: Actor | None = None, **fields: Any) -> Lead:
    fields.setdefault("first_name", "Sam")
    fields.setdefault("last_name", f"Lead {uuid.uuid4().hex[:10]}")
    fields.setdefault("allow_duplicates", True)
    score = fields.pop("score", None)
    lead = LeadService(db, actor or SYSTEM).create(LeadCreate(**fields))
    if score is not None:  # the score is computed; tests that need a given one set it here
        lead.score = score
        db.flush()
    return lead


FORM_FIELDS = [
    {"key": "first_name", "label": "First name"},
    {"key": "last_name", "label": "Last name", "required": True},
    {"key": "email", "label": "Email", "type": "email", "required": True},
    {"key": "company", "label": "Company"},
    {"key": "description", "label": "Message", "type": "textarea"},
]


def make_web_form(db: Any, actor: Actor | None = None, **fields: Any) -> WebForm:
    fields.setdefault("name", "Request a demo")
    fields.setdefault("slug", f"demo-{uuid.uuid4().hex[:10]}")
    fields.setdefault("fields", FORM_FIELDS)
    return create_form(db, actor or SYSTEM, WebFormCreate(**fields))
