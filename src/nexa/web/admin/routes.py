"""/admin: the overview, and the admin sections (each in its own module)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from nexa.core.actor import Actor
from nexa.core.filtering import ListQuery
from nexa.deal import pipelines as deal_pipelines
from nexa.lead import webform
from nexa.metadata import service as metadata
from nexa.team import service as teams
from nexa.user import service as users
from nexa.web.admin import integrations, people, setup
from nexa.web.admin.common import guard, page, visible_sections
from nexa.web.pages import WebSession

router = APIRouter(prefix="/admin")

OverviewActor = Annotated[Actor, Depends(guard("overview"))]
COUNT_LIMIT = 1000


@router.get("", response_class=HTMLResponse)
def overview(request: Request, session: WebSession, actor: OverviewActor) -> HTMLResponse:
    """One card per section the actor may open, with what it holds."""
    shown = {s.key for s in visible_sections(actor)}
    counts: dict[str, Any] = {}
    if "users" in shown:
        found, more = users.list_users(session, actor, ListQuery(limit=COUNT_LIMIT))
        active = sum(1 for u in found if u.is_active)
        counts["users"] = f"{len(found)}{'+' if more else ''} users, {active} active"
    if "teams" in shown:
        counts["teams"] = f"{len(teams.list_teams(session, actor))} teams"
    if "roles" in shown:
        counts["roles"] = f"{len(users.list_roles(session, actor))} roles"
    if "pipelines" in shown:
        found_pipelines = deal_pipelines.list_pipelines(session, actor)
        stages = sum(len(s) for _, s in found_pipelines)
        counts["pipelines"] = f"{len(found_pipelines)} pipelines, {stages} stages"
    if "custom_fields" in shown:
        definitions = metadata.list_definitions(session, actor)
        live = sum(1 for d in definitions if not d.archived)
        counts["custom_fields"] = f"{live} fields in use"
    if "web_forms" in shown:
        forms = webform.list_forms(session, actor)
        counts["web_forms"] = f"{len(forms)} forms, {sum(f.active for f in forms)} active"
    if "api_keys" in shown:
        keys = users.list_api_keys(session, actor)
        counts["api_keys"] = f"{sum(k.revoked_at is None for k in keys)} keys in use"
    return page(request, "admin/overview.html", actor, session, "overview", counts=counts)


router.include_router(people.router)
router.include_router(setup.router)
router.include_router(integrations.router)
