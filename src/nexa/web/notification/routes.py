"""The notification centre's pages: the list grouped by day (Today, Yesterday, then dates, in
the user's time zone), each item a link to its record that marks it read, mark one or all
read (htmx: the item or the list is swapped in place), and the per-kind preferences (in the
app, by email) on the profile page."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from nexa.core.actor import Actor
from nexa.core.db import utcnow
from nexa.models import User
from nexa.notification import service as notifications
from nexa.web.admin.common import CSRF, done
from nexa.web.objects import BY_NAME
from nexa.web.pages import PostedForm, WebActor, WebSession, is_htmx, render
from nexa.web.task.routes import user_zone

router = APIRouter()
LIMIT = 100


def record_url(note: Any) -> str | None:
    """The page of the record a notification is about, or None."""
    obj = BY_NAME.get(note.record_type or "")
    if obj is None or note.record_id is None:
        return None
    return f"/{obj.path}/{note.record_id}"


def day_label(day: date, today: date) -> str:
    if day == today:
        return "Today"
    if day == today - timedelta(days=1):
        return "Yesterday"
    if day.year == today.year:
        return f"{day:%A} {day.day} {day:%B}"
    return f"{day.day} {day:%B %Y}"


def grouped(session: Session, actor: Actor, items: list[Any]) -> list[dict[str, Any]]:
    """[{"label": "Today", "items": [{"note", "url", "time"}]}, …], newest day first."""
    zone = user_zone(session, actor)
    today = utcnow().astimezone(zone).date()
    days: list[dict[str, Any]] = []
    for note in items:
        local: datetime = note.created_at.astimezone(zone)
        label = day_label(local.date(), today)
        if not days or days[-1]["label"] != label:
            days.append({"label": label, "items": []})
        days[-1]["items"].append({"note": note, "url": record_url(note), "time": f"{local:%H:%M}"})
    return days


def _list_page(request: Request, session: Session, actor: Actor) -> HTMLResponse:
    # held for the whole request: its kinds muted in the app, its time zone (one query)
    me = session.get(User, actor.user_id) if actor.user_id else None
    muted = notifications.muted_kinds(me)
    items = notifications.list_notifications(session, actor, limit=LIMIT, muted=muted)
    template = "notification/_list.html" if is_htmx(request) else "notification/list.html"
    return render(
        request,
        template,
        actor,
        session,
        days=grouped(session, actor, items),
        unread_here=sum(1 for n in items if n.read_at is None),
        badge_oob=is_htmx(request),  # the header's count, swapped out of band
    )


@router.get("/notifications", response_class=HTMLResponse)
def notification_list(request: Request, session: WebSession, actor: WebActor) -> HTMLResponse:
    return _list_page(request, session, actor)


@router.post("/notifications/read-all", dependencies=CSRF)
def read_all(request: Request, session: WebSession, actor: WebActor) -> Response:
    notifications.mark_all_read(session, actor)
    if is_htmx(request):
        return _list_page(request, session, actor)
    return RedirectResponse("/notifications", status_code=303)


@router.post("/notifications/{notification_id}/read", dependencies=CSRF)
def read_one(
    request: Request, notification_id: uuid.UUID, session: WebSession, actor: WebActor
) -> Response:
    note = notifications.mark_read(session, actor, notification_id)
    if is_htmx(request):
        zone = user_zone(session, actor)
        item = {
            "note": note,
            "url": record_url(note),
            "time": f"{note.created_at.astimezone(zone):%H:%M}",
        }
        # the item, and out of band the page's count and the header's badge
        unread = notifications.unread_count(session, actor)
        return render(
            request,
            "notification/_item.html",
            actor,
            session,
            item=item,
            oob=True,
            unread_here=unread,
        )
    return RedirectResponse("/notifications", status_code=303)


@router.post("/notifications/{notification_id}/open", dependencies=CSRF)
def open_one(
    request: Request, notification_id: uuid.UUID, session: WebSession, actor: WebActor
) -> Response:
    """Marks it read and goes to its record (the list when it is about none)."""
    note = notifications.mark_read(session, actor, notification_id)
    return RedirectResponse(record_url(note) or "/notifications", status_code=303)


@router.post("/profile/notifications", dependencies=CSRF)
def save_preferences(
    request: Request, form: PostedForm, session: WebSession, actor: WebActor
) -> Response:
    chosen = {
        group: {
            "app": form.get(f"{group}.app") in ("on", "true", "1"),
            "email": form.get(f"{group}.email") in ("on", "true", "1"),
        }
        for group in notifications.KINDS
    }
    notifications.save_settings(session, actor, chosen)
    return done(request, "Notification preferences saved.", "/profile")
