"""/api/v1/campaigns: CRUD (the standard record router), steps, the life cycle, enrolment,
members, memberships of a record, and custom goal events.

No ``from __future__ import annotations``: FastAPI reads the body types from the real
annotations.
"""

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from nexa.api.deps import ActorDep, SessionDep
from nexa.api.records import PROBLEMS, record_router
from nexa.api.scopes import needs
from nexa.campaign import service
from nexa.campaign.schemas import (
    CampaignCreate,
    CampaignMemberPage,
    CampaignMembership,
    CampaignMemberships,
    CampaignOut,
    CampaignRemove,
    CampaignRemoveResult,
    CampaignSchedule,
    CampaignUpdate,
    Enrol,
    EnrolResult,
    GoalEvent,
    GoalEventResult,
    MemberType,
    OptimizationIn,
    StepsIn,
)
from nexa.campaign.shape import CAMPAIGNS

extra = APIRouter(prefix="/campaigns", tags=["campaigns"], responses=PROBLEMS)
ENROL_READ = "lead:read|contact:read"


@extra.get(
    "/memberships",
    response_model=CampaignMemberships,
    summary="The campaigns a lead or contact is or was in",
    openapi_extra=needs("campaign:read", "{record_type}:read"),
)
def campaign_memberships(
    session: SessionDep,
    actor: ActorDep,
    record_type: Annotated[MemberType, Query(description="lead or contact")],
    record_id: uuid.UUID,
) -> CampaignMemberships:
    rows = service.memberships(session, actor, record_type, record_id)
    return CampaignMemberships(
        items=[
            CampaignMembership(
                campaign_id=c.id,
                campaign=c.name,
                campaign_status=c.status,
                member=service.member_out(m),
            )
            for m, c in rows
        ]
    )


@extra.post(
    "/goal-events",
    response_model=GoalEventResult,
    summary="Tell campaigns that a person did the custom goal event",
    openapi_extra=needs(ENROL_READ, "lead:write|contact:write"),
)
def goal_event(body: GoalEvent, session: SessionDep, actor: ActorDep) -> GoalEventResult:
    return GoalEventResult(goals_reached=service.goal_event(session, actor, body))


def _steps_route(router: APIRouter) -> None:
    @router.post(
        "/{campaign_id}/steps",
        response_model=CampaignOut,
        summary="Add steps after the campaign's last",
        openapi_extra=needs("campaign:read", "campaign:write"),
    )
    def add_steps(
        campaign_id: uuid.UUID, body: StepsIn, session: SessionDep, actor: ActorDep
    ) -> CampaignOut:
        campaign = service.add_steps(session, actor, campaign_id, body.steps, replace=False)
        return CAMPAIGNS.one(session, campaign)

    @router.put(
        "/{campaign_id}/steps",
        response_model=CampaignOut,
        summary="Replace the campaign's steps (before anyone went through them)",
        openapi_extra=needs("campaign:read", "campaign:write"),
    )
    def replace_steps(
        campaign_id: uuid.UUID, body: StepsIn, session: SessionDep, actor: ActorDep
    ) -> CampaignOut:
        campaign = service.add_steps(session, actor, campaign_id, body.steps, replace=True)
        return CAMPAIGNS.one(session, campaign)

    @router.put(
        "/{campaign_id}/optimization",
        response_model=CampaignOut,
        summary="Choose what the campaign optimises",
        openapi_extra=needs("campaign:read", "campaign:write"),
    )
    def optimization(
        campaign_id: uuid.UUID, body: OptimizationIn, session: SessionDep, actor: ActorDep
    ) -> CampaignOut:
        campaign = service.set_optimization(session, actor, campaign_id, list(body.optimize))
        return CAMPAIGNS.one(session, campaign)

    for verb, summary, scope in (
        ("start", "Start the campaign now", "campaign:write"),
        ("pause", "Pause: nothing is sent until it resumes", "campaign:pause"),
        ("resume", "Resume a paused campaign", "campaign:pause"),
        ("complete", "Complete: every member's sequence ends", "campaign:write"),
    ):
        _move_route(router, verb, summary, scope)

    @router.post(
        "/{campaign_id}/schedule",
        response_model=CampaignOut,
        summary="Start the campaign later",
        openapi_extra=needs("campaign:read", "campaign:write"),
    )
    def schedule(
        campaign_id: uuid.UUID, body: CampaignSchedule, session: SessionDep, actor: ActorDep
    ) -> CampaignOut:
        campaign = service.move(session, actor, campaign_id, "schedule", start_at=body.start_at)
        return CAMPAIGNS.one(session, campaign)

    @router.post(
        "/{campaign_id}/members",
        response_model=EnrolResult,
        summary="Enrol leads or contacts (by id, a list or filters)",
        openapi_extra=needs("campaign:read", "campaign:enroll", ENROL_READ),
    )
    def enrol(
        campaign_id: uuid.UUID, body: Enrol, session: SessionDep, actor: ActorDep
    ) -> EnrolResult:
        return service.enrol(session, actor, campaign_id, body)

    @router.delete(
        "/{campaign_id}/members",
        response_model=CampaignRemoveResult,
        summary="Take people out of the campaign",
        openapi_extra=needs("campaign:read", "campaign:enroll"),
    )
    def remove(
        campaign_id: uuid.UUID, body: CampaignRemove, session: SessionDep, actor: ActorDep
    ) -> CampaignRemoveResult:
        removed = service.remove(session, actor, campaign_id, body.record_type, body.record_ids)
        return CampaignRemoveResult(campaign_id=campaign_id, removed=removed)

    @router.get(
        "/{campaign_id}/members",
        response_model=CampaignMemberPage,
        summary="The campaign's members and where each is",
        openapi_extra=needs("campaign:read"),
    )
    def list_members(
        campaign_id: uuid.UUID,
        session: SessionDep,
        actor: ActorDep,
        cursor: str | None = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
    ) -> CampaignMemberPage:
        rows, next_cursor = service.members(session, actor, campaign_id, cursor, limit)
        return CampaignMemberPage(
            items=[service.member_out(m) for m in rows], next_cursor=next_cursor
        )


def _move_route(router: APIRouter, verb: str, summary: str, scope: str) -> None:
    def moved(campaign_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> CampaignOut:
        campaign = service.move(session, actor, campaign_id, verb)
        return CAMPAIGNS.one(session, campaign)

    router.add_api_route(
        f"/{{campaign_id}}/{verb}",
        moved,
        methods=["POST"],
        response_model=CampaignOut,
        summary=summary,
        name=f"{verb}_campaign",
        openapi_extra=needs("campaign:read", scope),
    )


crud = record_router(
    prefix="/campaigns",
    noun="a campaign",
    plural="campaigns",
    service=service.CampaignService,
    create_model=CampaignCreate,
    update_model=CampaignUpdate,
    out_model=CampaignOut,
    shaper=CAMPAIGNS,
)
_steps_route(crud)

router = APIRouter()
router.include_router(extra)  # first: /campaigns/memberships before /campaigns/{record_id}
router.include_router(crud)
