"""What every web route shares: the templates, the request's session and acting user,
``render`` and the small helpers pages use (names of referenced records, form parsing)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from markupsafe import Markup
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from nexa.auth import service as auth_service
from nexa.core.actor import Actor
from nexa.core.db.session import unit_of_work
from nexa.core.errors import ValidationFailed
from nexa.core.events import enqueue_after_commit
from nexa.core.money import money
from nexa.notification import service as notifications
from nexa.web import formats, labels
from nexa.web.csrf import csrf_token
from nexa.web.labels import field_label
from nexa.web.navigation import create_actions, navigation, palette_actions
from nexa.web.zones import DISPLAY_DATES, DISPLAY_ZONE, date_text, moment_text, zone_named

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
TEMPLATES.env.globals["csrf_token"] = csrf_token
TEMPLATES.env.globals["navigation"] = navigation
TEMPLATES.env.globals["palette_actions"] = palette_actions
TEMPLATES.env.globals["create_actions"] = create_actions


class LoginRequired(Exception):
    pass


def web_session(request: Request) -> Iterator[Session]:
    yield from unit_of_work(write=request.method == "POST")


# scope="function": commit before the response is sent (a redirect after a post must find
# the record it points to).
WebSession = Annotated[Session, Depends(web_session, scope="function")]


SESSION_KEY = "sid"  # the cookie's session token (the cookie also keeps the CSRF token)


def web_actor(request: Request, session: WebSession) -> Actor:
    """The user of the request's web session, checked live on every request: a session
    ended by sign-out, a password change, deactivation or an admin is refused at once."""
    live = auth_service.live_session(session, request.session.get(SESSION_KEY))
    if live is None:
        request.session.clear()
        raise LoginRequired
    if live.needs_touch:
        # last_seen_at after commit, as a job: a page view's read never becomes a write
        enqueue_after_commit(session, "web_session.touch", live.session_id)
    actor = auth_service.actor_for(session, live.user)
    request.state.actor = actor  # an error page after this point shows this user's sidebar
    request.state.timezone = live.user.timezone  # what ``display`` shows times in
    request.state.date_format = live.user.date_format
    return actor


WebActor = Annotated[Actor, Depends(web_actor)]


async def posted_form(request: Request) -> FormData:
    """The posted form, parsed on the event loop (reading the body is I/O; nothing here
    touches the database), so that the handler itself is a plain ``def`` that FastAPI runs
    in its thread pool. The CSRF check has usually parsed it already: Starlette keeps the
    parsed form on the request, so this is the same object. A value holding a NUL character
    is refused (422 naming it) before any handler sees it: no field of any form holds one."""
    form = await request.form()
    for key, value in form.multi_items():
        if isinstance(value, str) and "\x00" in value:
            raise ValidationFailed(f"{key[:60]} contains a NUL character", field=key[:60])
    return form


# A route that reads a form takes ``form: PostedForm`` and is a plain ``def``: services,
# sessions and templates never run on the event loop (ARCHITECTURE.md).
PostedForm = Annotated[FormData, Depends(posted_form)]


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def render(
    request: Request,
    template: str,
    actor: Actor | None,
    session: Session | None,
    *,
    status_code: int = 200,
    **ctx: Any,
) -> HTMLResponse:
    """A full page (or, for htmx requests of partial templates, the fragment)."""
    partial = template.rsplit("/", 1)[-1].startswith("_")
    unread = notifications.unread_count(session, actor) if actor and session and not partial else 0
    token = DISPLAY_ZONE.set(zone_named(getattr(request.state, "timezone", None)))
    dates = DISPLAY_DATES.set(getattr(request.state, "date_format", None) or "iso")
    try:  # the template renders here: times in the user's zone and format (``display``)
        return TEMPLATES.TemplateResponse(
            request,
            template,
            {"actor": actor, "unread": unread, **ctx},
            status_code=status_code,
        )
    finally:
        DISPLAY_ZONE.reset(token)
        DISPLAY_DATES.reset(dates)


# ---- display filters ---------------------------------------------------------------------


def local_input(value: Any) -> str:
    """A stored time as a datetime-local input shows it: in the user's zone."""
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return moment.astimezone(DISPLAY_ZONE.get()).strftime("%Y-%m-%dT%H:%M")
    return str(value)[:16].replace(" ", "T") if value else ""


def humanise(name: str) -> str:
    """A field name as a label ("last_contacted_at" → "Last contacted")."""
    return field_label(name)


def display(value: Any) -> str:
    """A value as a person reads it (text only: the template escapes it)."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, datetime):
        return moment_text(value)
    if isinstance(value, date):
        return date_text(value)
    if isinstance(value, Decimal):
        return f"{value:,.2f}"
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, list):
        return ", ".join(display(v) for v in value)
    if isinstance(value, dict):
        if "amount" in value and "currency" in value:
            return money(_decimal(value["amount"]), value["currency"], places=2)
        return ", ".join(display(v) for v in value.values() if v not in (None, "", []))
    if isinstance(value, str) and len(value) >= 19 and value[4] == "-" and value[10] == "T":
        try:
            return display(datetime.fromisoformat(value))
        except ValueError:
            return value
    return str(value)


def _decimal(value: Any) -> Any:
    try:
        return Decimal(str(value))
    except Exception:
        return value


def safe_url(value: Any) -> str | None:
    """Only http(s) and mailto/tel links are ever put in an href (never ``javascript:``)."""
    if not isinstance(value, str):
        return None
    lowered = value.strip().lower()
    if lowered.startswith(("http://", "https://", "mailto:", "tel:")):
        return value.strip()
    return None


def short_id(value: Any) -> str:
    return str(value)[:8]


TEMPLATES.env.filters["humanise"] = humanise
TEMPLATES.env.filters["display"] = display
TEMPLATES.env.filters["local_input"] = local_input
TEMPLATES.env.filters["money"] = formats.money
TEMPLATES.env.filters["phone"] = formats.phone
TEMPLATES.env.filters["label"] = labels.value_label
TEMPLATES.env.filters["field_label"] = labels.field_label
TEMPLATES.env.filters["field_list"] = labels.field_list
TEMPLATES.env.filters["event_sentence"] = labels.event_sentence
TEMPLATES.env.filters["timeline_sentence"] = labels.timeline_sentence
TEMPLATES.env.filters["activity_line"] = labels.activity_line
TEMPLATES.env.filters["permission_phrase"] = labels.permission_phrase
TEMPLATES.env.filters["plain_permissions"] = labels.plain_permissions
TEMPLATES.env.filters["plain_text"] = labels.plain_text
TEMPLATES.env.filters["plain_error"] = labels.plain_error
TEMPLATES.env.filters["noun"] = labels.noun
TEMPLATES.env.globals["plural"] = labels.plural
TEMPLATES.env.globals["needs_permission"] = labels.needs_permission
TEMPLATES.env.filters["safe_url"] = safe_url
TEMPLATES.env.filters["short_id"] = short_id
TEMPLATES.env.globals["Markup"] = Markup


def parse_uuid(value: str | None) -> uuid.UUID | None:
    if not value:
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        return None
