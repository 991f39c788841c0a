"""Insight panels on record pages: "What we know" (enrichment) on a lead, and "Next best
action" on leads, deals and contacts, each with a one-click "Create task" (htmx POST; the
CSRF token travels in the X-CSRF-Token header set on <body>, or the form's hidden input).
Routes parse, call one enrichment service and render a fragment."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from nexa.enrichment import actions, service
from nexa.web.csrf import verify_csrf
from nexa.web.generic import InsightPanel, add_insight_panel
from nexa.web.pages import WebActor, WebSession, is_htmx, render

router = APIRouter()
CSRF = [Depends(verify_csrf)]
PLURALS = {"lead": "leads", "deal": "deals", "contact": "contacts"}

add_insight_panel("lead", InsightPanel("What we know", "/leads/{id}/enrichment", "lead:read"))
for _type, _plural in PLURALS.items():
    add_insight_panel(
        _type,
        InsightPanel("Next best action", f"/{_plural}/{{id}}/next-best-action", f"{_type}:read"),
    )

SENIORITY_LABELS = {
    "c_level": "C-level",
    "vp": "VP",
    "director": "Director",
    "manager": "Manager",
    "senior": "Senior",
    "entry": "Entry level",
    "other": "Other",
}
LINE_LABELS = {
    "fixed_line": "fixed line",
    "fixed_line_or_mobile": "fixed line or mobile",
    "toll_free": "toll free",
    "premium_rate": "premium rate",
    "shared_cost": "shared cost",
    "voip": "VoIP",
}
DEPARTMENT_LABELS = {"it": "IT", "hr": "HR"} | {
    d: d.capitalize()
    for d in (
        "sales", "marketing", "engineering", "finance", "operations", "support", "product",
        "legal", "executive",
    )
}  # fmt: skip
EMAIL_LABELS = {
    "business": "Business address",
    "free": "Free-mail address",
    "disposable": "Disposable address",
    "role": "Role address (a team, not a person)",
}


# ---- "What we know" ------------------------------------------------------------------------


def _enrichment_panel(
    request: Request, session: WebSession, actor: WebActor, lead_id: uuid.UUID, *, rerun: bool
) -> HTMLResponse:
    if rerun:
        view = service.reenrich_lead(session, actor, lead_id)
    else:
        view = service.lead_enrichment(session, actor, lead_id)
    return render(
        request,
        "enrichment/_lead.html",
        actor,
        session,
        view=view,
        rerun=rerun,
        can_write=actor.can("lead:write"),
        seniority_labels=SENIORITY_LABELS,
        line_labels=LINE_LABELS,
        department_labels=DEPARTMENT_LABELS,
        email_labels=EMAIL_LABELS,
    )


@router.get("/leads/{lead_id}/enrichment", response_class=HTMLResponse)
def lead_enrichment_panel(
    request: Request, lead_id: uuid.UUID, session: WebSession, actor: WebActor
) -> HTMLResponse:
    return _enrichment_panel(request, session, actor, lead_id, rerun=False)


@router.post("/leads/{lead_id}/enrichment", response_class=HTMLResponse, dependencies=CSRF)
def lead_enrichment_rerun(
    request: Request, lead_id: uuid.UUID, session: WebSession, actor: WebActor
) -> HTMLResponse:
    return _enrichment_panel(request, session, actor, lead_id, rerun=True)


# ---- "Next best action" --------------------------------------------------------------------


def _actions_panel(
    request: Request, session: WebSession, actor: WebActor, record_type: str, record_id: uuid.UUID
) -> HTMLResponse:
    found = actions.next_actions(session, actor, record_type, record_id)
    return render(
        request,
        "enrichment/_actions.html",
        actor,
        session,
        actions=found,
        record_type=record_type,
        base=f"/{PLURALS[record_type]}/{record_id}/next-best-action",
        can_task=actor.can("task:create"),
    )


def _act(
    request: Request,
    session: WebSession,
    actor: WebActor,
    record_type: str,
    record_id: uuid.UUID,
    key: str,
) -> Response:
    task = actions.act_on(session, actor, record_type, record_id, key[:60])
    if not is_htmx(request):  # a plain form post: back to the record page
        request.session["flash"] = f"Task created: {task.title}"
        return RedirectResponse(f"/{PLURALS[record_type]}/{record_id}", status_code=303)
    return render(request, "enrichment/_task_created.html", actor, session, task=task, key=key)


@router.get("/leads/{record_id}/next-best-action", response_class=HTMLResponse)
def lead_actions_panel(
    request: Request, record_id: uuid.UUID, session: WebSession, actor: WebActor
) -> HTMLResponse:
    return _actions_panel(request, session, actor, "lead", record_id)


@router.get("/deals/{record_id}/next-best-action", response_class=HTMLResponse)
def deal_actions_panel(
    request: Request, record_id: uuid.UUID, session: WebSession, actor: WebActor
) -> HTMLResponse:
    return _actions_panel(request, session, actor, "deal", record_id)


@router.get("/contacts/{record_id}/next-best-action", response_class=HTMLResponse)
def contact_actions_panel(
    request: Request, record_id: uuid.UUID, session: WebSession, actor: WebActor
) -> HTMLResponse:
    return _actions_panel(request, session, actor, "contact", record_id)


@router.post(
    "/leads/{record_id}/next-best-action/{key}/task",
    response_model=None,
    dependencies=CSRF,
)
def lead_action_task(
    request: Request, record_id: uuid.UUID, key: str, session: WebSession, actor: WebActor
) -> Response:
    return _act(request, session, actor, "lead", record_id, key)


@router.post(
    "/deals/{record_id}/next-best-action/{key}/task",
    response_model=None,
    dependencies=CSRF,
)
def deal_action_task(
    request: Request, record_id: uuid.UUID, key: str, session: WebSession, actor: WebActor
) -> Response:
    return _act(request, session, actor, "deal", record_id, key)


@router.post(
    "/contacts/{record_id}/next-best-action/{key}/task",
    response_model=None,
    dependencies=CSRF,
)
def contact_action_task(
    request: Request, record_id: uuid.UUID, key: str, session: WebSession, actor: WebActor
) -> Response:
    return _act(request, session, actor, "contact", record_id, key)
