"""The activity composer on every record page (issue 18 point 10): a note, a task, a call or
a meeting logged on the record without leaving it. A card of the record page (an insight
panel, loaded after the page) with a tab per kind; saving creates the activity through its
domain's service, shows what was made with a link to it, and refreshes the record's
timeline in place (an out-of-band swap). The Email card beside it is the email tab."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, tzinfo
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ValidationError

from nexa.activity import service as activity
from nexa.call.schemas import CallCreate
from nexa.call.service import CallService
from nexa.core.actor import Actor
from nexa.core.errors import DomainError
from nexa.meeting.schemas import MeetingCreate
from nexa.meeting.service import MeetingService
from nexa.note.schemas import NoteCreate
from nexa.note.service import NoteService
from nexa.task.schemas import TaskCreate
from nexa.task.service import TaskService
from nexa.web.admin.common import CSRF
from nexa.web.forms import errors_of
from nexa.web.generic import InsightPanel, add_insight_panel
from nexa.web.objects import OBJECTS
from nexa.web.pages import PostedForm, WebActor, WebSession, render
from nexa.web.zones import read_local, zone_named

router = APIRouter()
PLURALS = {"lead": "leads", "contact": "contacts", "account": "accounts", "deal": "deals",
           "quote": "quotes", "order": "orders"}  # fmt: skip
# kind -> (tab label, the permission, the list page of what it makes)
KINDS = {
    "note": ("Note", "note:create", "notes"),
    "task": ("Task", "task:create", "tasks"),
    "call": ("Call", "call:create", "calls"),
    "meeting": ("Meeting", "meeting:create", "meetings"),
}
OUTCOMES = (
    ("connected", "Connected"),
    ("no_answer", "No answer"),
    ("voicemail", "Left a voicemail"),
    ("busy", "Busy"),
    ("wrong_number", "Wrong number"),
    ("callback_requested", "Asked to be called back"),
)
PRIORITIES = (("low", "Low"), ("normal", "Normal"), ("high", "High"), ("urgent", "Urgent"))

for _type, _plural in PLURALS.items():
    add_insight_panel(
        _type, InsightPanel("Log activity", f"/{_plural}/{{id}}/composer", f"{_type}:read")
    )


def _moment(value: str, zone: tzinfo) -> datetime | str | None:
    return read_local(value, zone) if value else None


def _minutes(value: str) -> int | str | None:
    value = value.strip()
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        return value


def _build(kind: str, form: Any, zone: tzinfo, link: dict[str, Any]) -> BaseModel:
    """The create model of ``kind`` from the posted form (pydantic names what is wrong)."""
    v = {k: str(form.get(k) or "").strip() for k in form if k != "csrf_token"}
    if kind == "note":
        return NoteCreate.model_validate({"body": v.get("body", ""), **link})
    if kind == "task":
        due = _moment(v.get("due_at", ""), zone)
        priority = v.get("priority") or "normal"
        return TaskCreate.model_validate(
            {"title": v.get("title", ""), "due_at": due, "priority": priority, **link}
        )
    if kind == "call":
        minutes = _minutes(v.get("duration_minutes", ""))
        seconds = minutes * 60 if isinstance(minutes, int) else minutes
        return CallCreate.model_validate({
            "subject": v.get("subject", ""), "direction": v.get("direction") or "outbound",
            "outcome": v.get("outcome") or None, "duration_seconds": seconds,
            "notes": v.get("notes") or None, **link})  # fmt: skip
    starts = _moment(v.get("starts_at", ""), zone)
    minutes = _minutes(v.get("duration_minutes", "")) or 30
    ends = starts + timedelta(minutes=minutes) if isinstance(starts, datetime) and isinstance(
        minutes, int) else starts  # fmt: skip
    return MeetingCreate.model_validate({
        "title": v.get("title", ""), "starts_at": starts, "ends_at": ends,
        "location": v.get("location") or None, **link})  # fmt: skip


# the schema's field -> the composer's input that holds it
RENAMED = {"duration_seconds": "duration_minutes", "ends_at": "duration_minutes"}
SERVICES: dict[str, Any] = {"note": NoteService, "task": TaskService, "call": CallService,
            "meeting": MeetingService}  # fmt: skip


def _card(
    request: Request,
    session: Any,
    actor: Actor,
    record_type: str,
    record_id: uuid.UUID,
    tab: str,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    made: tuple[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    plural = PLURALS[record_type]
    tabs = [(k, label) for k, (label, perm, _) in KINDS.items() if actor.can(perm)]
    tab = tab if tab in dict(tabs) else (tabs[0][0] if tabs else "")
    timeline = None
    if made is not None:  # the record's timeline again, swapped in out of band
        entries, next_cursor = activity.timeline(
            session, actor, record_type=record_type, record_id=record_id, limit=30
        )
        timeline = {"entries": entries, "next_cursor": next_cursor}
    return render(
        request,
        "composer/_composer.html",
        actor,
        session,
        status_code=status_code,
        base=f"/{plural}/{record_id}/composer",
        tabs=tabs,
        tab=tab,
        values=values or {},
        errors=errors or {},
        made=made,
        timeline=timeline,
        obj=OBJECTS[plural],
        record_id=record_id,
        outcomes=OUTCOMES,
        priorities=PRIORITIES,
    )


def _routes(record_type: str, plural: str) -> None:
    @router.get(f"/{plural}/{{record_id}}/composer", response_class=HTMLResponse)
    def composer(
        request: Request, record_id: uuid.UUID, session: WebSession, actor: WebActor
    ) -> HTMLResponse:
        OBJECTS[plural].service(session, actor).get(record_id)  # 404 when unreadable
        tab = request.query_params.get("tab", "note")
        return _card(request, session, actor, record_type, record_id, tab)

    @router.post(
        f"/{plural}/{{record_id}}/composer/{{kind}}",
        response_class=HTMLResponse,
        dependencies=CSRF,
    )
    def log_activity(
        request: Request,
        record_id: uuid.UUID,
        kind: str,
        form: PostedForm,
        session: WebSession,
        actor: WebActor,
    ) -> HTMLResponse:
        OBJECTS[plural].service(session, actor).get(record_id)  # 404 when unreadable
        if kind not in KINDS:
            kind = "note"
        link = {"related_type": record_type, "related_id": record_id}
        values = {k: str(form.get(k) or "") for k in form if k != "csrf_token"}
        try:
            data = _build(kind, form, zone_named(getattr(request.state, "timezone", None)), link)
            with session.begin_nested():
                made = SERVICES[kind](session, actor).create(data)
        except (ValidationError, DomainError) as exc:
            if isinstance(exc, DomainError) and exc.status in (401, 403, 404):
                raise
            status = exc.status if isinstance(exc, DomainError) else 422
            errors = {RENAMED.get(k, k): m for k, m in errors_of(exc).items()}
            return _card(request, session, actor, record_type, record_id, kind,
                         values=values, errors=errors, status_code=status)  # fmt: skip
        label, _, path = KINDS[kind]
        return _card(request, session, actor, record_type, record_id, kind,
                     made=(label, f"/{path}/{made.id}"))  # fmt: skip


for _type, _plural in PLURALS.items():
    _routes(_type, _plural)
