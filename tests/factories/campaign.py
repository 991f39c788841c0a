"""Campaigns for tests, created through the service (events, steps checked)."""

from __future__ import annotations

import uuid
from typing import Any

from nexa.campaign import service
from nexa.campaign.schemas import CampaignCreate, StepIn
from nexa.core.actor import SYSTEM, Actor
from nexa.models import Campaign


def make_campaign(
    db: Any, actor: Actor | None = None, steps: list[dict[str, Any]] | None = None, **fields: Any
) -> Campaign:
    fields.setdefault("name", f"Campaign {uuid.uuid4().hex[:10]}")
    data = CampaignCreate(**fields, steps=[StepIn(**s) for s in steps] if steps else None)
    campaign = service.CampaignService(db, actor or SYSTEM).create(data)
    db.flush()
    return campaign
