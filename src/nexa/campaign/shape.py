"""What of a campaign leaves the service (API, web, events): see record/shapes.py. A
campaign comes with its steps (a page reads every campaign's steps in one query)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from nexa.campaign.repository import CampaignRepository
from nexa.campaign.schemas import CampaignOut, StepOut
from nexa.models import Campaign, CampaignStep
from nexa.record.shapes import Shaper, register


def _out(record: Campaign, steps: list[CampaignStep]) -> CampaignOut:
    data: dict[str, Any] = {c.key: getattr(record, c.key) for c in Campaign.__mapper__.column_attrs}
    data["steps"] = [StepOut.model_validate(s, from_attributes=True) for s in steps]
    return CampaignOut.model_validate(data)


def campaign_out(session: Session, record: Campaign) -> CampaignOut:
    return _out(record, CampaignRepository(session).steps(record.id))


def campaign_page(session: Session, records: list[Campaign]) -> list[CampaignOut]:
    steps = CampaignRepository(session).steps_of([r.id for r in records])
    return [_out(r, steps.get(r.id, [])) for r in records]


CAMPAIGNS = register(Shaper("campaign", CampaignOut, to_out=campaign_out, to_page=campaign_page))
