"""/api/v1/routing: the routing settings (admins), the SLA report and re-routing a lead.

No ``from __future__ import annotations``: FastAPI reads the body types from the real
annotations.
"""

import uuid
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query

from nexa.api.deps import ActorDep, SessionDep
from nexa.api.scopes import needs
from nexa.core.db import utcnow
from nexa.core.errors import ValidationFailed
from nexa.core.schemas import Problem
from nexa.routing import service
from nexa.routing.schemas import RoutingResult, RoutingSettings, SlaReport

router = APIRouter(prefix="/routing", tags=["routing"])
PROBLEMS: dict[int | str, dict[str, Any]] = {
    403: {"model": Problem},
    404: {"model": Problem},
    422: {"model": Problem},
}


@router.get(
    "/settings",
    response_model=RoutingSettings,
    summary="Lead routing settings: score bands, segments, SDR queue, working hours",
    responses=PROBLEMS,
    openapi_extra=needs("settings:read"),
)
def get_routing_settings(session: SessionDep, actor: ActorDep) -> RoutingSettings:
    return service.get_settings(session, actor)


@router.put(
    "/settings",
    response_model=RoutingSettings,
    summary="Replace the lead routing settings (admins)",
    responses=PROBLEMS,
    openapi_extra=needs("settings:write"),
)
def put_routing_settings(
    body: RoutingSettings, session: SessionDep, actor: ActorDep
) -> RoutingSettings:
    return service.put_settings(session, actor, body)


def _aware(value: datetime | None, field: str) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValidationFailed("give a time zone (e.g. 2026-11-01T00:00:00Z)", field=field)
    return value


@router.get(
    "/sla-report",
    response_model=SlaReport,
    summary="First-response SLA attainment per rep (the leads you can read)",
    responses=PROBLEMS,
    openapi_extra=needs("lead:read"),
)
def get_sla_report(
    session: SessionDep,
    actor: ActorDep,
    since: Annotated[
        datetime | None, Query(description="Leads routed from (default: 30 days ago)")
    ] = None,
    until: Annotated[
        datetime | None, Query(description="Leads routed before (default: now)")
    ] = None,
) -> SlaReport:
    now = utcnow()
    end = _aware(until, "until") or now
    start = _aware(since, "since") or end - timedelta(days=30)
    return service.sla_report(session, actor, since=start, until=end, now=now)


@router.post(
    "/leads/{lead_id}/route",
    response_model=RoutingResult,
    summary="Route a lead again: assignee by today's settings, a fresh SLA clock",
    responses=PROBLEMS,
    openapi_extra=needs("lead:read", "lead:write"),
)
def route_lead(lead_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> RoutingResult:
    return service.reroute_lead(session, actor, lead_id)
