"""/api/v1: a campaign's analytics (``GET /campaigns/{id}/stats``) and a lead's or contact's
campaign touches (``GET /leads/{id}/touch-history``, ``GET /contacts/{id}/touch-history``).

No ``from __future__ import annotations``: FastAPI reads the types from the annotations.
"""

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from nexa.api.deps import ActorDep, SessionDep
from nexa.api.records import PROBLEMS
from nexa.api.scopes import needs
from nexa.campaign import analytics
from nexa.campaign.analytics_schemas import CampaignStats, TouchHistory

router = APIRouter(responses=PROBLEMS)
Limit = Annotated[int, Query(ge=1, le=analytics.HISTORY_LIMIT)]


@router.get(
    "/campaigns/{campaign_id}/stats",
    response_model=CampaignStats,
    summary="A campaign's analytics: counters per step, rates, attribution, cost and ROI",
    tags=["campaigns"],
    openapi_extra=needs("campaign:read"),
)
def campaign_stats(campaign_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> CampaignStats:
    return analytics.campaign_stats(session, actor, campaign_id)


@router.get(
    "/leads/{lead_id}/touch-history",
    response_model=TouchHistory,
    summary="A lead's campaign touches, newest first",
    tags=["leads"],
    openapi_extra=needs("lead:read"),
)
def lead_touch_history(
    lead_id: uuid.UUID, session: SessionDep, actor: ActorDep, limit: Limit = 100
) -> TouchHistory:
    return analytics.touch_history(session, actor, "lead", lead_id, limit)


@router.get(
    "/contacts/{contact_id}/touch-history",
    response_model=TouchHistory,
    summary="A contact's campaign touches (and its lead's before conversion), newest first",
    tags=["contacts"],
    openapi_extra=needs("contact:read"),
)
def contact_touch_history(
    contact_id: uuid.UUID, session: SessionDep, actor: ActorDep, limit: Limit = 100
) -> TouchHistory:
    return analytics.touch_history(session, actor, "contact", contact_id, limit)
