"""The campaign analytics page (/campaigns/{id}/analytics): the counters per step in a table,
the daily series and the step funnel drawn client-side (static/js/campaign-charts.js, from a
JSON data block: no library, no CDN), attribution, cost and ROI, and the step-path report;
and the "Campaign touches" card of lead and contact pages. Routes call
``nexa.campaign.analytics`` and render."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from nexa.campaign import analytics
from nexa.campaign.analytics_schemas import METRICS, CampaignStats
from nexa.web.generic import InsightPanel, add_insight_panel
from nexa.web.pages import WebActor, WebSession, render

router = APIRouter()
for _type, _plural in (("lead", "leads"), ("contact", "contacts")):
    add_insight_panel(
        _type,
        InsightPanel("Campaign touches", f"/{_plural}/{{id}}/campaign-touches", f"{_type}:read"),
    )

METRIC_LABELS = {
    "enrolled": "Enrolled",
    "sent": "Sent",
    "delivered": "Delivered",
    "opened": "Opened",
    "clicked": "Clicked",
    "replied": "Replied",
    "bounced": "Bounced",
    "unsubscribed": "Unsubscribed",
    "task": "Tasks",
    "goal": "Goal reached",
}
STEP_METRICS = ("sent", "delivered", "opened", "clicked", "bounced", "unsubscribed", "task")
CHART_METRICS = ("sent", "delivered", "opened", "clicked", "replied", "goal")
CHANNELS = {
    "email": "Email",
    "sms": "SMS",
    "voice": "Call",
    "linkedin": "LinkedIn",
    "task": "Task",
    "campaign": "Campaign",
}
STATES = {
    "enrolled": "Enrolled",
    "active": "In progress",
    "waiting": "Waiting",
    "completed": "Completed",
    "goal_reached": "Reached the goal",
    "exited": "Left",
    "unsubscribed": "Unsubscribed",
    "bounced": "Bounced",
}
MODELS = {"first_touch": "First touch", "last_touch": "Last touch", "linear": "Linear"}
STAGE_KINDS = {"open": "Open", "won": "Won", "lost": "Lost"}
KINDS = {
    "enrolled": "Enrolled",
    "sent": "Sent",
    "delivered": "Delivered",
    "task": "Task for the owner",
    "opened": "Opened",
    "clicked": "Clicked",
    "replied": "Replied",
    "bounced": "Bounced",
    "unsubscribed": "Unsubscribed",
    "goal": "Reached the goal",
}
STATUSES = {
    "draft": "Draft",
    "scheduled": "Scheduled",
    "running": "Running",
    "paused": "Paused",
    "completed": "Completed",
}


def chart_data(stats: CampaignStats) -> dict[str, Any]:
    """What the charts draw: the daily series of a few metrics and the step funnel."""
    return {
        "series": [
            {"key": m, "label": METRIC_LABELS[m]}
            for m in CHART_METRICS
            if any(getattr(p.counters, m) for p in stats.daily)
        ],
        "days": [
            {"day": p.day.isoformat(), **{m: getattr(p.counters, m) for m in CHART_METRICS}}
            for p in stats.daily
        ],
        "steps": [
            {
                "label": f"Step {s.position + 1}" + (f": {s.name}" if s.name else ""),
                "sent": s.counters.sent + s.counters.task,
                "opened": s.counters.opened,
                "clicked": s.counters.clicked,
            }
            for s in stats.steps
        ],
    }


def percent(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.1f} %"


@router.get("/campaigns/{campaign_id}/analytics", response_class=HTMLResponse)
def analytics_page(
    request: Request, campaign_id: uuid.UUID, session: WebSession, actor: WebActor
) -> HTMLResponse:
    stats = analytics.campaign_stats(session, actor, campaign_id)
    return render(
        request,
        "campaign/analytics.html",
        actor,
        session,
        s=stats,
        chart=chart_data(stats),
        metrics=METRICS,
        step_metrics=STEP_METRICS,
        labels=METRIC_LABELS,
        channels=CHANNELS,
        states=STATES,
        models=MODELS,
        stage_kinds=STAGE_KINDS,
        statuses=STATUSES,
        percent=percent,
    )


def _touches_card(
    request: Request, session: Any, actor: Any, record_type: str, record_id: uuid.UUID
) -> HTMLResponse:
    history = analytics.touch_history(session, actor, record_type, record_id, limit=20)
    return render(
        request,
        "campaign/_analytics_touches.html",
        actor,
        session,
        history=history,
        kinds=KINDS,
        channels=CHANNELS,
    )


@router.get("/leads/{lead_id}/campaign-touches", response_class=HTMLResponse)
def lead_touches(
    request: Request, lead_id: uuid.UUID, session: WebSession, actor: WebActor
) -> HTMLResponse:
    return _touches_card(request, session, actor, "lead", lead_id)


@router.get("/contacts/{contact_id}/campaign-touches", response_class=HTMLResponse)
def contact_touches(
    request: Request, contact_id: uuid.UUID, session: WebSession, actor: WebActor
) -> HTMLResponse:
    return _touches_card(request, session, actor, "contact", contact_id)
