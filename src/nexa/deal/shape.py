"""What of a deal leaves the service (API, web, export, events): see record/shapes.py."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from nexa.core.db import utcnow
from nexa.deal import currency as deal_currency
from nexa.deal import service
from nexa.deal.schemas import DealOut
from nexa.models import Deal
from nexa.record.shapes import Shaper, register


def deal_out(deal: Deal, team: list[uuid.UUID] | None, stage_name: str | None) -> DealOut:
    data = {c.key: getattr(deal, c.key) for c in Deal.__mapper__.column_attrs}
    now = utcnow()
    data.update(
        org_currency=deal_currency.org_currency(),
        sales_team=team or [],
        stage_name=stage_name,
        days_in_stage=service.days_between(deal.stage_entered_at, now),
        sales_cycle_days=service.days_between(deal.created_at, deal.closed_at or now),
    )
    return DealOut.model_validate(data)


def _one(session: Session, deal: Deal) -> DealOut:
    teams, names = service.deal_extras(session, [deal])
    return deal_out(deal, teams.get(deal.id), names.get(deal.stage_id))


def _page(session: Session, records: list[Deal]) -> list[DealOut]:
    """A page's sales teams and stage names in one query each (a page of 50 costs what a
    page of 1 costs)."""
    teams, names = service.deal_extras(session, records)
    return [deal_out(r, teams.get(r.id), names.get(r.stage_id)) for r in records]


DEALS = register(Shaper("deal", DealOut, to_out=_one, to_page=_page))
