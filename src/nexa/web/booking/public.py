"""The public booking page, ``/book/{slug}`` (no sign-in): the free slots of a user or a team
in the visitor's time zone, and the form that books one.

The zone comes from ``?tz=`` (a select on the page); without it a small script
(/static/js/booking.js) reloads the page with the browser's zone, and without script the
page shows UTC. The form carries a token signed for this page and its time (no cookie: a
visitor has no session); a post without a valid token, or one a browser marks as sent from
another site, is refused. HTML posts get HTML answers (the page again with its errors next to
the fields, 4xx); ``Accept: application/json`` gets JSON and problem+json naming the field.

No ``from __future__ import annotations``: FastAPI reads the parameter types.
"""

import hashlib
import hmac
import time
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from jinja2 import Environment

from nexa.api.deps import SessionDep
from nexa.api.proxies import client_address
from nexa.booking import service
from nexa.config import get_settings
from nexa.core.errors import DomainError, PermissionDenied
from nexa.lead.public import SubmissionDep
from nexa.models import BookingPage

router = APIRouter(prefix="/book", tags=["booking pages (public)"])

TOKEN_MAX_AGE = 6 * 3600
NO_STORE = {"Cache-Control": "no-store, max-age=0", "Referrer-Policy": "no-referrer"}
ZONES = sorted(z for z in available_timezones() if "/" in z and not z.startswith("Etc/"))

_env = Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True)

_PAGE = _env.from_string(
    """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{{ page.title }}</title>
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;padding:1.5rem;color:#1f2937}
main{max-width:40rem;margin:0 auto}h1{font-size:1.4rem;margin:0 0 .3rem}h2{font-size:1rem;margin:1.2rem 0 .4rem}
.muted{color:#6b7280}.err{color:#b91c1c;font-size:.9rem;margin:.25rem 0 0}
.summary{background:#fef2f2;border:1px solid #fecaca;padding:.6rem;border-radius:6px}
.slots{display:flex;flex-wrap:wrap;gap:.4rem}.slots label{border:1px solid #cbd5e1;border-radius:6px;padding:.35rem .6rem;cursor:pointer}
.slots input{margin-right:.3rem}
label.f{display:block;font-weight:600;margin:.9rem 0 .3rem}
input[type=text],input[type=email],select,textarea{width:100%;box-sizing:border-box;padding:.5rem;border:1px solid #cbd5e1;border-radius:6px;font:inherit}
textarea{min-height:5rem}
button{margin-top:1rem;padding:.6rem 1.2rem;border:0;border-radius:6px;background:#2563eb;color:#fff;font:inherit;cursor:pointer}
form.zone{display:flex;gap:.5rem;align-items:end}form.zone button{margin:0}
</style></head>
<body><main>
<h1>{{ page.title }}</h1>
<p class="muted">{{ minutes }} minutes with {{ hosts }}.</p>
<form class="zone" method="get" action="{{ action }}" data-testid="zone-form">
<div style="flex:1"><label class="f" for="tz">Your time zone</label>
<select id="tz" name="tz" data-booking-zone data-zone-given="{{ 'yes' if zone_given else 'no' }}">
{% for z in zones %}<option value="{{ z }}"{% if z == zone %} selected{% endif %}>{{ z }}</option>
{% endfor %}
</select></div>
<button type="submit">Show times</button>
</form>
{% if errors %}<p class="summary" role="alert">{{ errors.get("form") or "Please correct the fields marked below." }}</p>{% endif %}
<form method="post" action="{{ action }}" data-testid="booking-form">
<input type="hidden" name="token" value="{{ token }}">
<input type="hidden" name="tz" value="{{ zone }}">
{% if days %}
{% for day, times in days %}
<h2>{{ day }}</h2>
<div class="slots">
{% for value, label in times %}
<label><input type="radio" name="starts_at" value="{{ value }}"{% if value == values.get("starts_at") %} checked{% endif %} required>{{ label }}</label>
{% endfor %}
</div>
{% endfor %}
{% else %}
<p>No free times in the coming {{ page.days_ahead }} days. Please try again later.</p>
{% endif %}
{% if errors.get("starts_at") %}<p class="err">{{ errors["starts_at"] }}</p>{% endif %}
<label class="f" for="name">Your name</label>
<input id="name" name="name" type="text" maxlength="200" value="{{ values.get('name', '') }}" required>
{% if errors.get("name") %}<p class="err">{{ errors["name"] }}</p>{% endif %}
<label class="f" for="email">Your email</label>
<input id="email" name="email" type="email" maxlength="254" value="{{ values.get('email', '') }}" required>
{% if errors.get("email") %}<p class="err">{{ errors["email"] }}</p>{% endif %}
<label class="f" for="note">Anything we should know? (optional)</label>
<textarea id="note" name="note" maxlength="2000">{{ values.get('note', '') }}</textarea>
{% if errors.get("note") %}<p class="err">{{ errors["note"] }}</p>{% endif %}
<button type="submit">Book</button>
</form>
</main>
<script src="/static/js/booking.js"></script>
</body></html>
"""  # noqa: E501
)

_DONE = _env.from_string(
    """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="robots" content="noindex">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Booked</title>
<style>body{font-family:system-ui,sans-serif;padding:2rem;color:#1f2937}main{max-width:32rem;margin:0 auto}</style>
</head><body><main data-testid="booked">
<h1>You are booked</h1>
<p>{{ title }} with {{ host }}, {{ when }} ({{ zone }}).</p>
<p>{{ invitation }}</p>
</main></body></html>
"""  # noqa: E501
)


# ---- the form token ------------------------------------------------------------------------


def _sign(slug: str, issued: int) -> str:
    key = get_settings().effective_secret_key.encode()
    return hmac.new(key, f"booking|{slug}|{issued}".encode(), hashlib.sha256).hexdigest()


def form_token(slug: str, now: float | None = None) -> str:
    issued = int(now if now is not None else time.time())
    return f"{issued}.{_sign(slug, issued)}"


def check_token(slug: str, token: Any, request: Request, now: float | None = None) -> None:
    """The post comes from this page, shown lately (and not from another site's page)."""
    refused = PermissionDenied(
        "the form expired or did not come from this page; reload the page", field="token"
    )
    if request.headers.get("sec-fetch-site") == "cross-site":
        raise refused
    issued_text, _, signature = str(token or "").partition(".")
    if not issued_text.isdigit():
        raise refused
    issued = int(issued_text)
    age = (now if now is not None else time.time()) - issued
    if not 0 <= age <= TOKEN_MAX_AGE or not hmac.compare_digest(signature, _sign(slug, issued)):
        raise refused


# ---- rendering -----------------------------------------------------------------------------


def _zone(request: Request, data: dict[str, Any] | None = None) -> tuple[str, bool]:
    name = str((data or {}).get("tz") or request.query_params.get("tz") or "")
    if name in ZONES or name == "UTC":
        return name, True
    return "UTC", False


def _wants_json(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def _render(
    session: Any,
    request: Request,
    page: BookingPage,
    zone_name: str,
    zone_given: bool,
    values: dict[str, Any],
    errors: dict[str, str],
    status: int = 200,
) -> HTMLResponse:
    zone = ZoneInfo(zone_name)
    days: dict[str, list[tuple[str, str]]] = {}
    for start in service.offered(session, page):
        local = start.astimezone(zone)
        days.setdefault(f"{local:%A %-d %B %Y}", []).append(
            (start.strftime("%Y-%m-%dT%H:%M:%SZ"), f"{local:%H:%M}")
        )
    hosts = service.hosts_of(session, page)
    who = hosts[0].full_name if page.user_id is not None else "one of our team"
    html = _PAGE.render(
        page=page,
        minutes=page.duration_minutes,
        hosts=who if hosts else "us",
        action=f"/book/{page.slug}",
        zones=["UTC", *ZONES],
        zone=zone_name,
        zone_given=zone_given,
        days=list(days.items()),
        token=form_token(page.slug),
        values={k: str(v) for k, v in values.items() if isinstance(v, str)},
        errors=errors,
    )
    return HTMLResponse(html, status_code=status, headers=NO_STORE)


@router.get("/{slug}", response_class=HTMLResponse, summary="A public booking page (HTML)")
def show_page(slug: str, request: Request, session: SessionDep) -> HTMLResponse:
    page = service.public_page(session, slug)
    zone_name, given = _zone(request)
    return _render(session, request, page, zone_name, given, {}, {})


@router.post("/{slug}", summary="Book a slot on a public booking page", response_model=None)
def book(slug: str, request: Request, session: SessionDep, data: SubmissionDep) -> Response:
    page = service.public_page(session, slug)
    zone_name, given = _zone(request, data)
    try:
        check_token(page.slug, data.get("token"), request)
        result = service.book(
            session,
            page.slug,
            starts_at=data.get("starts_at"),
            name=data.get("name"),
            email=data.get("email"),
            note=data.get("note"),
            client_ip=client_address(request),
        )
    except DomainError as exc:
        if _wants_json(request):
            raise
        # an HTML answer is not an exception: undo whatever the booking wrote before it was
        # refused, or the request's commit would keep it
        session.rollback()
        errors = {e["field"]: e["message"] for e in exc.errors if e.get("field")}
        if not errors or "token" in errors or exc.status in (409, 429):
            errors.setdefault("form", exc.detail)
        if exc.status == 409:
            errors.setdefault("starts_at", exc.detail)
        return _render(session, request, page, zone_name, given, data, errors, exc.status)
    zone = ZoneInfo(zone_name)
    when = result.meeting.starts_at.astimezone(zone)
    invitation = (
        f"An invitation is on its way to {data.get('email', '').strip()}."
        if result.invitation_sent
        else f"Please note: {result.invitation_note}."
    )
    if _wants_json(request):
        return JSONResponse(
            {
                "status": "booked",
                "starts_at": result.meeting.starts_at.isoformat(),
                "ends_at": result.meeting.ends_at.isoformat(),
                "host": result.host.full_name,
                "invitation_sent": result.invitation_sent,
                "message": invitation,
            },
            status_code=201,
        )
    return HTMLResponse(
        _DONE.render(
            title=page.title,
            host=result.host.full_name,
            when=f"{when:%A %-d %B %Y at %H:%M}",
            zone=zone_name,
            invitation=invitation,
        ),
        status_code=201,
        headers=NO_STORE,
    )
