"""What quotes and orders need of deals: a deal the actor can read, and its line items.

The deals domain owns the Deal model and its repository; this module reads through the
registered ``deal`` repository (so deal visibility stays defined in one place)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from nexa.core.actor import Actor
from nexa.core.errors import NotFound, ValidationFailed
from nexa.core.repository import REPOSITORIES, Repository
from nexa.models import Deal, DealLineItem
from nexa.quote.repository import QuoteRepository


class _DealScope(Repository[Deal]):
    """Fallback scoping while no deal repository is registered (same owner rules)."""

    model = Deal


_DealScope.object_name = "deal"  # set after creation: this fallback must not register itself


def deal_repository(session: Session) -> Repository[Any]:
    return REPOSITORIES.get("deal", _DealScope)(session)


def readable_deal(session: Session, actor: Actor, deal_id: uuid.UUID) -> Deal:
    """The deal if ``actor`` may read it; 404 otherwise."""
    return deal_repository(session).get(actor, deal_id)


def check_deal(
    session: Session, actor: Actor, deal_id: uuid.UUID | None, field: str = "deal_id"
) -> Deal | None:
    """The referenced deal if ``actor`` can read it; 422 naming ``field`` otherwise."""
    if deal_id is None:
        return None
    try:
        return readable_deal(session, actor, deal_id)
    except NotFound:
        raise ValidationFailed("no deal with this id that you can see", field=field) from None


def deal_lines(session: Session, deal_id: uuid.UUID) -> list[DealLineItem]:
    return QuoteRepository(session).deal_lines(deal_id)
