"""Routing pages: the admin's routing settings (/admin/routing), the SLA report
(/reports/sla) and the "SLA clock" panel of lead pages. Routes parse, call the routing
service and render; the rules live in the service."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from nexa.core.db import utcnow
from nexa.core.errors import DomainError, NotFound
from nexa.lead import service as leads
from nexa.routing import service
from nexa.routing.schemas import COMPANY_SIZES, RoutingSettings
from nexa.web.admin.common import Failure, attempt, field_errors, page, text
from nexa.web.csrf import verify_csrf
from nexa.web.forms import country_names
from nexa.web.generic import InsightPanel, add_insight_panel
from nexa.web.pages import PostedForm, WebActor, WebSession, is_htmx, render

router = APIRouter()
CSRF = [Depends(verify_csrf)]
add_insight_panel("lead", InsightPanel("SLA clock", "/leads/{id}/sla", "lead:read"))

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
ASSIGN_LABELS = {
    "top_performer": "Top performer of the segment",
    "round_robin": "Round robin in the segment",
    "sdr_queue": "SDR queue",
}
PRIORITIES = ("urgent", "high", "normal", "low")
REPORT_DAYS = (7, 30, 90)
BAND_ROWS = 5


# ---- the admin settings page -------------------------------------------------------------

BLANK_SEGMENT: dict[str, Any] = {"name": "", "company_size": [], "country": [], "industry": "",
                                 "source": [], "user_ids": [], "team_id": ""}  # fmt: skip


def _form_values(settings: RoutingSettings) -> dict[str, Any]:
    """What the form shows for ``settings`` (text inputs keyed by name)."""
    wh = settings.working_hours
    return {
        "enabled": settings.enabled,
        "bands": [b.model_dump() for b in settings.bands],
        "nurture_below": "" if settings.nurture_below is None else str(settings.nurture_below),
        "warn_at_percent": str(settings.warn_at_percent),
        "top_performer_days": str(settings.top_performer_days),
        "wh_timezone": wh.timezone,
        "wh_weekdays": list(wh.weekdays),
        "wh_start": wh.start,
        "wh_end": wh.end,
        "wh_always": wh.always,
        "sdr_user_ids": [str(u) for u in settings.sdr_queue.user_ids],
        "sdr_team_id": str(settings.sdr_queue.team_id) if settings.sdr_queue.team_id else "",
        "segments": [
            {
                "name": s.name,
                "company_size": list(s.company_size),
                "country": list(s.country),
                "industry": ", ".join(s.industry),
                "source": list(s.source),
                "user_ids": [str(u) for u in s.user_ids],
                "team_id": str(s.team_id) if s.team_id else "",
            }
            for s in settings.segments
        ],
    }


def _posted_segments(form: Any) -> list[dict[str, Any]]:
    """The segments' fieldsets (``seg-<i>-<field>``), in their order; a blank one (no name)
    or one ticked for removal is left out."""
    indexes = sorted(
        {int(k.split("-")[1]) for k in form if k.startswith("seg-") and k.split("-")[1].isdigit()}
    )
    segments = []
    for i in indexes[:50]:
        key = f"seg-{i}-"
        name = text(form, key + "name") or ""
        if not name or "on" in form.getlist(key + "remove"):
            continue
        industry = text(form, key + "industry") or ""
        segments.append(
            {
                "name": name,
                "company_size": [str(v) for v in form.getlist(key + "company_size")],
                "country": [str(v) for v in form.getlist(key + "country")],
                "industry": industry,
                "source": [str(v) for v in form.getlist(key + "source")],
                "user_ids": [str(v) for v in form.getlist(key + "user_ids")],
                "team_id": text(form, key + "team_id") or "",
            }
        )
    return segments


def _number(value: str | None) -> Any:
    """An integer when it reads as one; otherwise the text (the schema names the field)."""
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        return value


def _posted_values(form: Any) -> dict[str, Any]:
    """The form's values, kept as posted (re-shown after a refusal)."""
    return {
        "enabled": "on" in form.getlist("enabled"),
        "bands": [
            {
                "min_score": m,
                "assign": a,
                "priority": p,
                "sla_minutes": s,
            }
            for m, a, p, s in zip(
                form.getlist("band_min_score"),
                form.getlist("band_assign"),
                form.getlist("band_priority"),
                form.getlist("band_sla_minutes"),
                strict=False,
            )
        ],
        "nurture_below": text(form, "nurture_below") or "",
        "warn_at_percent": text(form, "warn_at_percent") or "",
        "top_performer_days": text(form, "top_performer_days") or "",
        "wh_timezone": text(form, "wh_timezone") or "",
        "wh_weekdays": [_number(d) for d in form.getlist("wh_weekdays")],
        "wh_start": text(form, "wh_start") or "",
        "wh_end": text(form, "wh_end") or "",
        "wh_always": "on" in form.getlist("wh_always"),
        "sdr_user_ids": [str(v) for v in form.getlist("sdr_user_ids")],
        "sdr_team_id": text(form, "sdr_team_id") or "",
        "segments": _posted_segments(form),
    }


def _document(values: dict[str, Any]) -> dict[str, Any]:
    """The settings document of the posted values (validated by the service)."""
    segments = [
        {
            **s,
            "industry": [v.strip() for v in s["industry"].split(",") if v.strip()],
            "team_id": s["team_id"] or None,
        }
        for s in values["segments"]
    ]
    bands = [
        {
            "min_score": _number(str(b["min_score"]).strip()),
            "assign": b["assign"],
            "priority": b["priority"],
            "sla_minutes": _number(str(b["sla_minutes"]).strip()),
        }
        for b in values["bands"]
        if str(b["min_score"]).strip()
    ]
    nurture = values["nurture_below"]
    return {
        "enabled": values["enabled"],
        "bands": bands,
        "nurture_below": _number(nurture) if nurture else None,
        "warn_at_percent": _number(values["warn_at_percent"]),
        "top_performer_days": _number(values["top_performer_days"]),
        "working_hours": {
            "timezone": values["wh_timezone"],
            "weekdays": values["wh_weekdays"],
            "start": values["wh_start"],
            "end": values["wh_end"],
            "always": values["wh_always"],
        },
        "sdr_queue": {
            "user_ids": values["sdr_user_ids"],
            "team_id": values["sdr_team_id"] or None,
        },
        "segments": segments,
    }


def _settings_page(
    request: Request,
    session: Any,
    actor: Any,
    values: dict[str, Any],
    *,
    failure: Failure | None = None,
    saved: bool = False,
) -> HTMLResponse:
    people, teams = service.assignable_people(session, actor)
    bands = list(values["bands"])
    while len(bands) < BAND_ROWS:
        bands.append(
            {"min_score": "", "assign": "round_robin", "priority": "normal", "sla_minutes": ""}
        )
    return page(
        request,
        "routing/settings.html",
        actor,
        session,
        "routing",
        failure=failure,
        values=values,
        bands=bands,
        people=people,
        teams=teams,
        weekdays=list(enumerate(WEEKDAYS)),
        segment_rows=[*values["segments"], BLANK_SEGMENT],
        company_sizes=COMPANY_SIZES,
        countries=list(country_names().items()),
        sources=[(s.key, s.label) for s in leads.list_sources(session, actor) if s.active],
        assign_labels=ASSIGN_LABELS,
        priorities=PRIORITIES,
        can_write=actor.can("settings:write"),
        saved=saved,
    )


@router.get("/admin/routing", response_class=HTMLResponse)
def settings_page(request: Request, session: WebSession, actor: WebActor) -> HTMLResponse:
    settings = service.get_settings(session, actor)
    saved = bool(request.session.pop("flash_routing", None))
    return _settings_page(request, session, actor, _form_values(settings), saved=saved)


def _errors(exc: Exception) -> dict[str, str]:
    if isinstance(exc, DomainError) and exc.errors and exc.status == 422:
        return {str(e.get("field") or "__all__"): str(e.get("message")) for e in exc.errors}
    return field_errors(exc)


@router.post("/admin/routing", dependencies=CSRF)
def save_settings(
    request: Request, form: PostedForm, session: WebSession, actor: WebActor
) -> Response:
    values = _posted_values(form)
    result = attempt(
        session,
        lambda: service.parse_settings(_document(values)),
        lambda data: service.put_settings(session, actor, data),
        errors=_errors,
    )
    if isinstance(result, Failure):
        return _settings_page(request, session, actor, values, failure=result)
    request.session["flash_routing"] = "saved"
    return RedirectResponse("/admin/routing", status_code=303)


# ---- the SLA report ----------------------------------------------------------------------


@router.get("/reports/sla", response_class=HTMLResponse)
def sla_report_page(
    request: Request, session: WebSession, actor: WebActor, days: int = 30
) -> HTMLResponse:
    if days not in REPORT_DAYS:
        days = 30
    now = utcnow()
    report = service.sla_report(
        session, actor, since=now - timedelta(days=days), until=now, now=now
    )
    return render(
        request,
        "routing/report.html",
        actor,
        session,
        report=report,
        days=days,
        choices=REPORT_DAYS,
    )


# ---- the lead page panel -----------------------------------------------------------------


def _clock_panel(
    request: Request,
    session: Any,
    actor: Any,
    lead_id: uuid.UUID,
    *,
    status_code: int = 200,
    error: str | None = None,
) -> HTMLResponse:
    clock = service.clock_of(session, actor, lead_id)
    return render(
        request,
        "routing/_clock.html",
        actor,
        session,
        status_code=status_code,
        clock=clock,
        lead_id=lead_id,
        can_route=actor.can("lead:write"),
        error=error,
    )


@router.get("/leads/{lead_id}/sla", response_class=HTMLResponse)
def lead_clock(
    request: Request, lead_id: uuid.UUID, session: WebSession, actor: WebActor
) -> HTMLResponse:
    return _clock_panel(request, session, actor, lead_id)


@router.post("/leads/{lead_id}/route", dependencies=CSRF)
def route_again(
    request: Request, lead_id: uuid.UUID, session: WebSession, actor: WebActor
) -> Response:
    try:
        with session.begin_nested():
            service.reroute_lead(session, actor, lead_id)
    except DomainError as exc:
        if exc.status in (403, 404) or not is_htmx(request):
            raise
        return _clock_panel(
            request, session, actor, lead_id, status_code=exc.status, error=exc.detail
        )
    if is_htmx(request):
        try:
            return _clock_panel(request, session, actor, lead_id)
        except NotFound:  # routed to someone whose leads this actor does not see
            return Response(status_code=200, headers={"HX-Redirect": "/leads"})
    return RedirectResponse(f"/leads/{lead_id}", status_code=303)
