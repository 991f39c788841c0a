"""The home page: a dashboard for the signed-in user, shaped by what their role may read —
open tasks (soonest due first, overdue flagged), hot leads (own, team or all), the pipeline
by stage as a chart, deals won this month and the records they changed lately. Every
figure comes from the domain services, as the actor."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from nexa.activity import service as activity
from nexa.core.actor import Actor, Scope
from nexa.core.db import utcnow
from nexa.core.errors import NotFound, PermissionDenied, ValidationFailed
from nexa.core.filtering import ListQuery
from nexa.core.names import person_name
from nexa.deal import reports as deal_reports
from nexa.lead.service import LeadService
from nexa.task.service import TaskService
from nexa.web import references
from nexa.web.objects import BY_NAME
from nexa.web.pages import WebActor, WebSession, render

router = APIRouter()

LIST_SIZE = 8
OVERDUE_CAP = 99
OPEN_TASK = "status:in:open,in_progress"
HOT_LEAD = "status:in:new,contacted,qualified"
RECENT_TYPES = ("deal", "lead", "account", "contact")


def _scope_label(actor: Actor, permission: str, own: str, team: str, everyone: str) -> str:
    scope = actor.scope_for(permission)
    if scope is Scope.ALL:
        return everyone
    if scope is Scope.TEAM:
        return team
    return own


def _month_bounds(now: datetime) -> tuple[datetime, datetime]:
    start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    end = (
        start.replace(year=start.year + 1, month=1)
        if start.month == 12
        else start.replace(month=start.month + 1)
    )
    return start, end


def _tasks(session: Session, actor: Actor, me: uuid.UUID, now: datetime) -> dict[str, Any]:
    service = TaskService(session, actor)
    mine = [f"owner_id:eq:{me}", OPEN_TASK]
    found, more = service.list(ListQuery(filters=mine, sort="due_at", limit=LIST_SIZE))
    overdue, _ = service.list(
        ListQuery(filters=[*mine, f"due_at:lt:{now.isoformat()}"], sort="due_at", limit=OVERDUE_CAP)
    )
    rows = [
        {
            "id": t.id,
            "title": t.title,
            "status": t.status,
            "priority": t.priority,
            "due_at": t.due_at,
            "related_type": t.related_type,
            "related_id": t.related_id,
            "overdue": t.due_at is not None and t.due_at < now,
        }
        for t in found
    ]
    return {
        "rows": rows,
        "more": more is not None,
        "overdue": len(overdue),
        "overdue_capped": len(overdue) >= OVERDUE_CAP,
        "names": references.resolve(session, actor, rows, ["related_id"]),
    }


def _leads(session: Session, actor: Actor, me: uuid.UUID) -> dict[str, Any]:
    filters = [HOT_LEAD]
    if actor.scope_for("lead:read") is Scope.OWN:
        filters.append(f"owner_id:eq:{me}")
    found, more = LeadService(session, actor).list(
        ListQuery(filters=filters, sort="-score", limit=LIST_SIZE)
    )
    rows = [
        {
            "id": lead.id,
            "name": person_name(lead.first_name, lead.last_name) or "—",
            "company": lead.company,
            "status": lead.status,
            "score": lead.score,
            "band": _band(lead.score),
            "owner_id": lead.owner_id,
        }
        for lead in found
    ]
    return {
        "rows": rows,
        "more": more is not None,
        "filters": filters,
        "title": _scope_label(
            actor, "lead:read", "My hot leads", "My team's hot leads", "Hot leads"
        ),
        "names": references.resolve(session, actor, rows, ["owner_id"]),
        "show_owner": actor.scope_for("lead:read") is not Scope.OWN,
    }


def _band(score: int | None) -> str:
    if score is None:
        return "low"
    if score >= 75:
        return "high"
    if score >= 50:
        return "medium"
    return "low"


def _number(value: Any) -> float:
    return float(Decimal(str(value or 0)))


def _pipeline(session: Session, actor: Actor, now: datetime) -> dict[str, Any] | None:
    try:
        report = deal_reports.pipeline_report(session, actor)
    except (NotFound, ValidationFailed):
        return None
    start, end = _month_bounds(now)
    won = deal_reports.won_summary(session, actor, closed_from=start, closed_to=end)
    chart = {
        "currency": report["currency"],
        "stages": [
            {
                "name": s["name"],
                "kind": s["kind"],
                "count": s["count"],
                "amount": _number(s["amount"]),
                "weighted": _number(s["weighted"]),
            }
            for s in report["stages"]
        ],
    }
    return {
        "report": report,
        "chart": chart,
        "won": won,
        "month": start.strftime("%B %Y"),
        "title": _scope_label(actor, "deal:read", "My pipeline", "My team's pipeline", "Pipeline"),
    }


def _recent(session: Session, actor: Actor, me: uuid.UUID) -> list[dict[str, Any]]:
    """The records the user owns that changed last (deals, leads, accounts, contacts): one
    page of each type, merged."""
    items: list[dict[str, Any]] = []
    for name in RECENT_TYPES:
        obj = BY_NAME[name]
        if not actor.can(f"{name}:read"):
            continue
        found, _ = obj.service(session, actor).list(
            ListQuery(filters=[f"owner_id:eq:{me}"], sort="-updated_at", limit=LIST_SIZE)
        )
        for record in found:
            items.append(
                {
                    "label": obj.label,
                    "title": references.record_title(name, record),
                    "url": f"/{obj.path}/{record.id}",
                    "updated_at": record.updated_at,
                    "created": record.updated_at == record.created_at,
                }
            )
    items.sort(key=lambda i: i["updated_at"], reverse=True)
    return items[:LIST_SIZE]


def dashboard_context(session: Session, actor: Actor, now: datetime) -> dict[str, Any]:
    me = actor.user_id
    ctx: dict[str, Any] = {"now": now, "tasks": None, "leads": None, "pipeline": None}
    if me is None:
        return ctx | {"recent": [], "activity": []}
    sections: list[tuple[str, str, Callable[[], Any]]] = [
        ("tasks", "task:read", lambda: _tasks(session, actor, me, now)),
        ("leads", "lead:read", lambda: _leads(session, actor, me)),
        ("pipeline", "deal:read", lambda: _pipeline(session, actor, now)),
    ]
    for key, permission, build in sections:
        if actor.can(permission):
            try:
                ctx[key] = build()
            except PermissionDenied:  # a role edited by an admin may lack a part
                ctx[key] = None
    ctx["recent"] = _recent(session, actor, me)
    ctx["activity"] = [
        {
            "entry": entry,
            "url": f"/{references.PATHS[entry.record_type]}/{entry.record_id}"
            if entry.record_type in references.PATHS
            else None,
        }
        for entry in activity.recent_activity(session, actor, limit=LIST_SIZE)
    ]
    return ctx


@router.get("/", response_class=HTMLResponse)
def dashboard(request: Request, session: WebSession, actor: WebActor) -> HTMLResponse:
    ctx = dashboard_context(session, actor, utcnow())
    return render(request, "dashboard/home.html", actor, session, **ctx)
