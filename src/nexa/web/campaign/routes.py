"""Campaign pages: the builder on the campaign's own page (steps as a vertical list — channel,
wait, condition, template or text — each previewed with a real member; who is enrolled;
start, pause, resume, complete), the calendar of what is due, and the "Campaigns" card on
lead and contact pages (where the record is in each, and enrolling it). Every action calls
the campaign service (the same as the API); the page hides only what the service would
refuse outright."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from nexa.campaign import service
from nexa.campaign.schemas import Enrol, StepIn
from nexa.core import clock
from nexa.core.actor import Actor
from nexa.core.errors import DomainError, ValidationFailed
from nexa.core.filtering import ListQuery
from nexa.models import Campaign
from nexa.segment import service as lists
from nexa.web.csrf import verify_csrf
from nexa.web.generic import (
    InsightPanel,
    ObjectView,
    add_insight_panel,
    detail_context,
    object_view,
)
from nexa.web.objects import OBJECTS
from nexa.web.pages import WebActor, WebSession, parse_uuid, render

router = APIRouter(prefix="/campaigns")
CSRF = [Depends(verify_csrf)]
CAMPAIGNS = OBJECTS["campaigns"]
CHANNEL_WORDS = {
    "email": "Email",
    "sms": "Text message",
    "voice": "Call (a task for the owner)",
    "linkedin": "LinkedIn (a task for the owner)",
    "task": "Task for the owner",
}
CONDITION_WORDS = {
    "opened_previous": "they opened the previous email",
    "clicked_previous": "they clicked a link in the previous email",
    "not_responded": "they have not replied or met us",
    "not_responded_to_emails": "they have not replied or met us",
}
STATE_WORDS = {
    "enrolled": "Enrolled",
    "active": "In progress",
    "waiting": "Waiting",
    "completed": "Finished",
    "goal_reached": "Goal reached",
    "exited": "Left",
    "unsubscribed": "Unsubscribed",
    "bounced": "Bounced",
}
VERBS = {
    "start": ("Start now", ("draft", "scheduled")),
    "pause": ("Pause", ("running",)),
    "resume": ("Resume", ("paused",)),
    "complete": ("Complete", ("running", "paused", "scheduled")),
}
OPTIMIZE_WORDS = {
    "send_time": "the hour each person opens mail",
    "channel_preference": "each person's preferred channel",
    "message_content": "the message variant that gets replies and clicks",
    "sequence_order": "a report of which step orders convert",
}
EXIT_WORDS = {
    "replied": "they reply",
    "goal": "they reach the goal",
    "unsubscribed": "they unsubscribe",
    "bounced": "their address bounces",
    "deal_created": "a deal is created for them",
}
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

for _type in ("lead", "contact"):
    add_insight_panel(
        _type, InsightPanel("Campaigns", f"/campaigns/of-{_type}/{{id}}", "campaign:read")
    )


def wait_words(step: Any) -> str:
    if step.wait_kind == "until":
        day = WEEKDAYS[step.wait_weekday] if step.wait_weekday is not None else "the next day"
        return f"Wait until {day} {step.wait_time or ''} (their time)".replace("  ", " ")
    unit = "day" if step.wait_kind == "days" else "hour"
    if step.wait_amount == 0:
        return "Right away" if step.position == 0 else "Straight after the previous step"
    plural = "" if step.wait_amount == 1 else "s"
    after = "after enrolment" if step.position == 0 else "after the previous step"
    return f"{step.wait_amount} {unit}{plural} {after}"


def condition_words(step: Any) -> str | None:
    text = (step.condition or "").strip()
    if not text:
        return None
    key = text.lower()
    if key in CONDITION_WORDS:
        return CONDITION_WORDS[key]
    if key.startswith("score_above"):
        number = "".join(ch for ch in key if ch.isdigit())
        return f"their score is above {number}"
    if key.startswith("in_list") or key.startswith("not_in_list"):
        return "they are in the list" if key.startswith("in_list") else "they are not in the list"
    return "they match: " + "; ".join(line.strip() for line in text.splitlines() if line.strip())


@object_view("campaign")
class CampaignView(ObjectView):
    template = "campaign/detail.html"

    def get_extra_context(
        self, request: Request, session: Session, actor: Actor, record: Any, row: dict[str, Any]
    ) -> dict[str, Any]:
        campaign: Campaign = record
        steps = service.CampaignRepository(session).steps(campaign.id)
        members, next_cursor = service.members(
            session, actor, campaign.id, request.query_params.get("cursor") or None, 25
        )
        names = service.CampaignRepository(session).record_owners(
            [(m.record_type, m.record_id) for m in members]
        )
        counts = service.CampaignRepository(session).count_members(campaign.id)
        preferred = (
            service.preferred_channels(session, members)
            if "channel_preference" in (campaign.optimize or [])
            else {}
        )
        can_write = actor.can("campaign:write") and campaign.status != "completed"
        can_enrol = (
            actor.scope_for("campaign:enroll") is not None and campaign.status != "completed"
        )
        templates = []
        if can_write and actor.can("email_template:read"):
            from nexa.email.service import list_templates

            templates = list_templates(session, actor)
        available_lists = []
        if can_enrol:
            found, _ = lists.ListService(session, actor).list(ListQuery(limit=100))
            available_lists = [lst for lst in found if lst.object_type in ("lead", "contact")]
        segments = service.CampaignRepository(session).lists(
            [uuid.UUID(str(i)) for i in campaign.list_ids or []]
        )
        return {
            "campaign": campaign,
            "segments": list(segments.values()),
            "optimize_words": [OPTIMIZE_WORDS.get(o, o) for o in campaign.optimize or []],
            "exit_words": [EXIT_WORDS.get(e, e) for e in campaign.exit_on or []],
            "steps": steps,
            "wait_words": wait_words,
            "condition_words": condition_words,
            "channel_words": CHANNEL_WORDS,
            "state_words": STATE_WORDS,
            "members": members,
            "member_names": names,
            "preferred": preferred,
            "member_next": next_cursor,
            "state_counts": counts,
            "can_build": can_write,
            "can_enrol": can_enrol,
            "can_pause": actor.can("campaign:pause"),
            "verbs": [
                (verb, label)
                for verb, (label, allowed) in VERBS.items()
                if campaign.status in allowed
                and (actor.can("campaign:pause") if verb in ("pause", "resume") else can_write)
            ],
            "enrol_lists": available_lists,
            "templates": templates,
            "builder_error": None,
            "weekdays": WEEKDAYS,
        }


def _again(
    request: Request, session: Session, actor: Actor, campaign_id: uuid.UUID, exc: DomainError
) -> HTMLResponse:
    session.rollback()
    ctx = detail_context(request, session, actor, CAMPAIGNS, campaign_id)
    ctx["builder_error"] = f"{exc.detail}" + (f" ({exc.field})" if exc.field else "")
    return render(request, CampaignView.template, actor, session, status_code=exc.status, **ctx)


@router.get("/calendar", response_class=HTMLResponse)
def calendar_page(
    request: Request,
    session: WebSession,
    actor: WebActor,
    days: Annotated[int, Query(ge=1, le=60)] = 14,
) -> Response:
    """What campaigns will send or make in the next days, day by day."""
    start = clock.now().replace(hour=0, minute=0, second=0, microsecond=0)
    rows = service.calendar(session, actor, start, days)
    by_day: dict[Any, list[tuple[str, str, int]]] = {}
    for day, name, channel, count in rows:
        by_day.setdefault(day, []).append((name, channel, count))
    span = [(start + timedelta(days=i)).date() for i in range(days)]
    return render(
        request,
        "campaign/calendar.html",
        actor,
        session,
        days=span,
        by_day=by_day,
        channel_words=CHANNEL_WORDS,
        length=days,
    )


def _memberships_panel(
    request: Request, session: Session, actor: Actor, record_type: str, record_id: uuid.UUID
) -> Response:
    """The "Campaigns" card of a lead or contact page (an htmx fragment)."""
    rows = service.memberships(session, actor, record_type, record_id)
    running: list[Campaign] = []
    if actor.scope_for("campaign:enroll") is not None:
        found, _ = service.CampaignService(session, actor).list(
            ListQuery(filters=["status:eq:running"], limit=50)
        )
        inside = {c.id for m, c in rows if m.state in ("enrolled", "active", "waiting")}
        running = [c for c in found if c.id not in inside]
    return render(
        request,
        "campaign/_memberships.html",
        actor,
        session,
        rows=rows,
        running=running,
        record_type=record_type,
        record_id=record_id,
        state_words=STATE_WORDS,
    )


@router.get("/of-lead/{lead_id}", response_class=HTMLResponse)
def lead_campaigns(
    request: Request, lead_id: uuid.UUID, session: WebSession, actor: WebActor
) -> Response:
    return _memberships_panel(request, session, actor, "lead", lead_id)


@router.get("/of-contact/{contact_id}", response_class=HTMLResponse)
def contact_campaigns(
    request: Request, contact_id: uuid.UUID, session: WebSession, actor: WebActor
) -> Response:
    return _memberships_panel(request, session, actor, "contact", contact_id)


@router.post("/{campaign_id}/status/{verb}", dependencies=CSRF)
def change_status(
    request: Request, campaign_id: uuid.UUID, verb: str, session: WebSession, actor: WebActor
) -> Response:
    if verb not in VERBS:
        raise ValidationFailed("not something a campaign can do", field="verb")
    try:
        campaign = service.move(session, actor, campaign_id, verb)
    except DomainError as exc:
        return _again(request, session, actor, campaign_id, exc)
    request.session["flash"] = f"The campaign is {campaign.status}"
    return RedirectResponse(f"/campaigns/{campaign_id}", status_code=303)


@router.post("/{campaign_id}/steps/add", dependencies=CSRF)
def add_step(
    request: Request,
    campaign_id: uuid.UUID,
    session: WebSession,
    actor: WebActor,
    channel: Annotated[str, Form()] = "email",
    wait_kind: Annotated[str, Form()] = "days",
    wait_amount: Annotated[str, Form(max_length=5)] = "0",
    wait_weekday: Annotated[str, Form(max_length=1)] = "",
    wait_time: Annotated[str, Form(max_length=5)] = "",
    condition: Annotated[str, Form(max_length=2000)] = "",
    on_fail: Annotated[str, Form()] = "skip",
    template_id: Annotated[str, Form()] = "",
    subject: Annotated[str, Form(max_length=998)] = "",
    body: Annotated[str, Form(max_length=100_000)] = "",
) -> Response:
    try:
        try:
            amount = int(wait_amount or 0)
        except ValueError:
            raise ValidationFailed("a whole number of days or hours", field="wait_amount") from None
        step = StepIn.model_validate(
            {
                "channel": channel,
                "wait_kind": wait_kind,
                "wait_amount": amount,
                "wait_weekday": int(wait_weekday) if wait_weekday.isdigit() else None,
                "wait_time": wait_time or None,
                "condition": condition or None,
                "on_fail": on_fail,
                "template_id": parse_uuid(template_id),
                "subject": subject or None,
                "body": body or None,
            }
        )
        service.add_steps(session, actor, campaign_id, [step], replace=False)
    except DomainError as exc:
        return _again(request, session, actor, campaign_id, exc)
    except ValueError as exc:  # pydantic: a value of the wrong shape
        detail = ValidationFailed(str(exc).splitlines()[-1][:200], field="steps")
        return _again(request, session, actor, campaign_id, detail)
    request.session["flash"] = "Step added"
    return RedirectResponse(f"/campaigns/{campaign_id}#steps", status_code=303)


@router.get("/{campaign_id}/preview", response_class=HTMLResponse)
def preview(
    request: Request,
    campaign_id: uuid.UUID,
    session: WebSession,
    actor: WebActor,
    position: Annotated[int, Query(ge=0, le=100)] = 0,
) -> Response:
    """A step as one real member would get it (an htmx fragment)."""
    error = None
    shown = None
    try:
        shown = service.preview_step(session, actor, campaign_id, position)
    except DomainError as exc:
        error = exc.detail
    return render(request, "campaign/_preview.html", actor, session, shown=shown, error=error)


@router.post("/{campaign_id}/enrol", dependencies=CSRF)
def enrol_list(
    request: Request,
    campaign_id: uuid.UUID,
    session: WebSession,
    actor: WebActor,
    list_id: Annotated[str, Form()] = "",
) -> Response:
    try:
        chosen = parse_uuid(list_id)
        if chosen is None:
            raise ValidationFailed("choose a list", field="list_id")
        result = service.enrol(session, actor, campaign_id, Enrol(list_id=chosen))
    except DomainError as exc:
        return _again(request, session, actor, campaign_id, exc)
    message = f"{result.enrolled} enrolled"
    if result.skipped:
        message += f"; {len(result.skipped)} not (already in it, or not yours to enrol)"
    request.session["flash"] = message
    return RedirectResponse(f"/campaigns/{campaign_id}#members", status_code=303)


@router.post("/enrol-record", dependencies=CSRF)
def enrol_record(
    request: Request,
    session: WebSession,
    actor: WebActor,
    campaign_id: Annotated[str, Form()] = "",
    record_type: Annotated[str, Form()] = "lead",
    record_id: Annotated[str, Form()] = "",
) -> Response:
    """From a lead's or contact's page: enrol it in a running campaign."""
    target = parse_uuid(record_id)
    chosen = parse_uuid(campaign_id)
    back = f"/{'leads' if record_type == 'lead' else 'contacts'}/{target}"
    if target is None or chosen is None or record_type not in ("lead", "contact"):
        raise ValidationFailed("choose a campaign", field="campaign_id")
    try:
        result = service.enrol(
            session,
            actor,
            chosen,
            Enrol(record_type=record_type, record_ids=[target]),
        )
        words = (
            "Enrolled"
            if result.enrolled
            else "Not enrolled: " + "; ".join(s.reason for s in result.skipped)
        )
    except DomainError as exc:
        session.rollback()
        words = f"Not enrolled: {exc.detail}"
    request.session["flash"] = words
    return RedirectResponse(back, status_code=303)


@router.post("/{campaign_id}/members/remove", dependencies=CSRF)
def remove_member(
    request: Request,
    campaign_id: uuid.UUID,
    session: WebSession,
    actor: WebActor,
    record_type: Annotated[str, Form()] = "lead",
    record_id: Annotated[str, Form()] = "",
) -> Response:
    target = parse_uuid(record_id)
    try:
        if target is None or record_type not in ("lead", "contact"):
            raise ValidationFailed("choose a member", field="record_id")
        service.remove(session, actor, campaign_id, record_type, [target])
    except DomainError as exc:
        return _again(request, session, actor, campaign_id, exc)
    request.session["flash"] = "Taken out of the campaign"
    return RedirectResponse(f"/campaigns/{campaign_id}#members", status_code=303)
