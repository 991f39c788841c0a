"""A history of closed leads for training tests: made through the services, then aged."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from nexa.core.actor import SYSTEM
from nexa.core.db import utcnow
from nexa.lead.schemas import LeadUpdate
from nexa.lead.service import LeadService
from nexa.metadata import service as metadata
from nexa.metadata.schemas import CustomFieldCreate
from nexa.models import Lead
from tests.factories.lead import make_lead


def define_field(db: Any, key: str, field_type: str = "number") -> None:
    metadata.create_definition(
        db,
        SYSTEM,
        CustomFieldCreate(object_type="lead", key=key, label=key.title(), field_type=field_type),
    )


def closed_history(db: Any, n: int = 260, *, seed: int = 7, leak: bool = False) -> list[Lead]:
    """``n`` closed leads created over the last ``n`` days whose conversion depends on the
    source and on a ``budget`` custom field. With ``leak``, a ``won`` custom field equal to the
    outcome is filled in through an edit *after* the outcome (as a rep would)."""
    rng = random.Random(seed)
    define_field(db, "budget")
    if leak:
        define_field(db, "won", "text")
    now = utcnow()
    leads = []
    for i in range(n):
        source = rng.choice(["referral", "website", "cold_call"])
        budget = rng.randint(0, 100)
        chance = {"referral": 0.55, "website": 0.3, "cold_call": 0.1}[source] + budget / 250
        converted = rng.random() < chance
        lead = make_lead(db, source=source, custom_fields={"budget": budget})
        created = now - timedelta(days=n - i)
        lead.created_at = created
        lead.status = "converted" if converted else "lost"
        lead.lost_reason = None if converted else "no budget"
        lead.status_changed_at = created + timedelta(days=3)
        lead.converted_at = created + timedelta(days=3) if converted else None
        leads.append(lead)
    db.flush()
    if leak:
        service = LeadService(db, SYSTEM)
        for lead in leads:
            # a converted lead only accepts tags/description: write the field as a rep would
            status = lead.status
            lead.status = "qualified"
            db.flush()
            service.update(
                lead.id, LeadUpdate(custom_fields={"won": "yes" if status == "converted" else "no"})
            )
            lead.status = status
        db.flush()
    return leads


def source_only_history(db: Any, n: int = 240, *, seed: int = 11) -> None:
    """``n`` closed leads whose conversion depends on the source alone — which the scorecard
    already ranks in the right order, so a learned model can only tie it."""
    rng = random.Random(seed)
    now = utcnow()
    for i in range(n):
        source = rng.choice(["referral", "website", "cold_call"])
        converted = rng.random() < {"referral": 0.7, "website": 0.35, "cold_call": 0.08}[source]
        lead = make_lead(db, source=source)
        lead.created_at = now - timedelta(days=n - i)
        lead.status = "converted" if converted else "lost"
        lead.lost_reason = None if converted else "no budget"
        lead.status_changed_at = lead.created_at + timedelta(days=3)
        lead.converted_at = lead.status_changed_at if converted else None
    db.flush()


GOOD_WORDS = ["budget approved", "signed off by the board", "urgent rollout", "ready to buy"]
BAD_WORDS = ["just browsing", "student project", "no budget this year", "competitor research"]


def described_history(db: Any, n: int = 300, *, seed: int = 4) -> list[Lead]:
    """``n`` closed leads whose conversion depends only on words in their description (the
    source is noise); the words tell the outcome three times in four."""
    rng = random.Random(seed)
    now = utcnow()
    leads = []
    for i in range(n):
        converted = rng.random() < 0.4
        telling = rng.random() < 0.75
        words = rng.choice(GOOD_WORDS if converted == telling else BAD_WORDS)
        lead = make_lead(
            db,
            source=rng.choice(["referral", "website", "cold_call"]),
            description=f"Hello, we would like a demo for our team. {words}".strip(),
        )
        created = now - timedelta(days=n - i)
        lead.created_at = created
        lead.status = "converted" if converted else "lost"
        lead.lost_reason = None if converted else "no budget"
        lead.status_changed_at = created + timedelta(days=3)
        lead.converted_at = created + timedelta(days=3) if converted else None
        leads.append(lead)
    db.flush()
    return leads
