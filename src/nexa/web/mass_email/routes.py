"""Mass email pages (/mass-emails): the list, a form for a new one (name, list, up to four
variants as fieldsets, the A/B settings, the seed list), and a page per mass email with the
preview for a real member, the numbers per variant, the A/B test's result in words and the
actions (schedule now or later, a test send to oneself, cancel). The rules live in
nexa.mass_email.service; the pages only read the form and show what the service says."""

from __future__ import annotations

import re
import uuid
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from nexa.core.actor import Actor
from nexa.core.errors import DomainError, ValidationFailed
from nexa.core.filtering import ListQuery
from nexa.mass_email.schemas import MAX_VARIANTS, MassEmailCreate, ScheduleIn, TestSendIn
from nexa.mass_email.service import MassEmailService, seed_addresses
from nexa.mass_email.winner import letter
from nexa.models import MassEmail
from nexa.segment.service import ListService
from nexa.web.csrf import verify_csrf
from nexa.web.pages import PostedForm, WebActor, WebSession, parse_uuid, render
from nexa.web.zones import read_local, zone_named

router = APIRouter(prefix="/mass-emails")
CSRF = [Depends(verify_csrf)]
STATUS_WORDS = {
    "draft": "Draft",
    "scheduled": "Scheduled",
    "testing": "Testing the variants",
    "sending": "Sending",
    "sent": "Sent",
    "cancelled": "Cancelled",
}
METRIC_WORDS = {"open": "Open rate", "click": "Click rate", "reply": "Reply rate"}
SUBSCRIPTION_WORDS = {"marketing": "Marketing", "newsletter": "Newsletter", "product": "Product"}
MACHINE_KEY = re.compile(r" \([a-z_]+\)$")  # "… (hard_bounce)": the key after the words


def _words(reason: str) -> str:
    return MACHINE_KEY.sub("", reason)


def _audiences(session: Session, actor: Actor) -> list[Any]:
    query = ListQuery(filters=["object_type:in:lead,contact"], limit=200, sort="name")
    rows, _ = ListService(session, actor).list(query)
    return rows


def _form_page(
    request: Request,
    session: Session,
    actor: Actor,
    values: dict[str, Any],
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "mass_email/form.html",
        actor,
        session,
        status_code=status_code,
        values=values,
        error=error,
        lists=_audiences(session, actor),
        slots=range(MAX_VARIANTS),
        letter=letter,
        metric_words=METRIC_WORDS,
        subscription_words=SUBSCRIPTION_WORDS,
    )


@router.get("", response_class=HTMLResponse)
def mass_emails(request: Request, session: WebSession, actor: WebActor) -> HTMLResponse:
    rows, _ = MassEmailService(session, actor).list(ListQuery(limit=100, sort="-created_at"))
    return render(
        request,
        "mass_email/list.html",
        actor,
        session,
        rows=rows,
        status_words=STATUS_WORDS,
        can_create=actor.can("mass_email:create"),
    )


@router.get("/new", response_class=HTMLResponse)
def new_mass_email(request: Request, session: WebSession, actor: WebActor) -> HTMLResponse:
    values = {"test_share": 20, "metric": "click", "wait_hours": 4, "subscription": "marketing"}
    return _form_page(request, session, actor, values)


def _variants(form: Any) -> list[dict[str, Any]]:
    out = []
    for i in range(MAX_VARIANTS):
        subject = str(form.get(f"subject_{i}") or "").strip()
        text = str(form.get(f"text_{i}") or "").strip()
        html = str(form.get(f"html_{i}") or "").strip()
        if subject or text or html:
            out.append({"subject": subject or None, "text": text or None, "html": html or None})
    return out


@router.post("/new", dependencies=CSRF)
def create_mass_email(
    request: Request, form: PostedForm, session: WebSession, actor: WebActor
) -> Response:
    values: dict[str, Any] = {k: form.get(k) for k in form}
    seed = [s.strip() for s in str(form.get("seed") or "").replace(",", "\n").splitlines()]
    try:
        data = MassEmailCreate.model_validate(
            {
                "name": form.get("name") or "",
                "list_id": form.get("list_id") or None,
                "variants": _variants(form),
                "seed": [s for s in seed if s],
                "subscription": form.get("subscription") or "marketing",
                "test_share": form.get("test_share") or 20,
                "metric": form.get("metric") or "click",
                "wait_hours": form.get("wait_hours") or 4,
            }
        )
        with session.begin_nested():
            record = MassEmailService(session, actor).create(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]).replace("_", " ")
        return _form_page(request, session, actor, values, f"{where}: {first['msg']}", 422)
    except DomainError as exc:
        return _form_page(request, session, actor, values, exc.detail, exc.status)
    request.session["flash"] = "Mass email saved as a draft"
    return RedirectResponse(f"/mass-emails/{record.id}", status_code=303)


def _detail(
    request: Request,
    session: Session,
    actor: Actor,
    mass_email_id: uuid.UUID,
    member: uuid.UUID | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    service = MassEmailService(session, actor)
    record: MassEmail = service.get(mass_email_id)
    try:
        preview = service.preview(record.id, member)
        preview_error = None
    except DomainError as exc:
        preview, preview_error = None, exc.detail
    stats = service.stats(record.id)
    list_name = _list_name(session, actor, record)
    return render(
        request,
        "mass_email/detail.html",
        actor,
        session,
        status_code=status_code,
        record=record,
        list_name=list_name,
        preview=preview,
        preview_error=preview_error,
        stats=stats,
        skipped=[(_words(r), n) for r, n in sorted(stats.skipped_reasons.items())],
        seeds=[address for _, address in seed_addresses(session, record)],
        status_words=STATUS_WORDS,
        metric_words=METRIC_WORDS,
        letter=letter,
        error=error,
        can_write=actor.can("mass_email:write"),
    )


def _list_name(session: Session, actor: Actor, record: MassEmail) -> str:
    try:
        return ListService(session, actor).get(record.list_id).name
    except DomainError:
        return "a list you cannot see"


@router.get("/{mass_email_id}", response_class=HTMLResponse)
def mass_email_page(
    request: Request, mass_email_id: uuid.UUID, session: WebSession, actor: WebActor
) -> HTMLResponse:
    member = parse_uuid(request.query_params.get("member") or "")
    return _detail(request, session, actor, mass_email_id, member)


def _act(
    request: Request,
    session: Session,
    actor: Actor,
    mass_email_id: uuid.UUID,
    action: Any,
    message: str,
) -> Response:
    try:
        with session.begin_nested():
            action()
    except DomainError as exc:
        return _detail(
            request, session, actor, mass_email_id, error=exc.detail, status_code=exc.status
        )
    request.session["flash"] = message
    return RedirectResponse(f"/mass-emails/{mass_email_id}", status_code=303)


@router.post("/{mass_email_id}/schedule", dependencies=CSRF)
def schedule(
    request: Request,
    mass_email_id: uuid.UUID,
    form: PostedForm,
    session: WebSession,
    actor: WebActor,
) -> Response:
    typed = str(form.get("send_at") or "").strip()
    zone = zone_named(getattr(request.state, "timezone", None))

    def run() -> None:
        send_at = read_local(typed, zone) if typed else None
        try:
            data = ScheduleIn.model_validate({"send_at": send_at})
        except ValidationError:
            raise ValidationFailed("not a date and time", field="send_at") from None
        MassEmailService(session, actor).schedule(mass_email_id, data.send_at)

    words = "Scheduled" if typed else "Sending now"
    return _act(request, session, actor, mass_email_id, run, words)


@router.post("/{mass_email_id}/cancel", dependencies=CSRF)
def cancel(
    request: Request, mass_email_id: uuid.UUID, session: WebSession, actor: WebActor
) -> Response:
    return _act(
        request,
        session,
        actor,
        mass_email_id,
        lambda: MassEmailService(session, actor).cancel(mass_email_id),
        "Cancelled: no more messages are written",
    )


@router.post("/{mass_email_id}/test-send", dependencies=CSRF)
def test_send(
    request: Request, mass_email_id: uuid.UUID, session: WebSession, actor: WebActor
) -> Response:
    return _act(
        request,
        session,
        actor,
        mass_email_id,
        lambda: MassEmailService(session, actor).test_send(mass_email_id, TestSendIn()),
        "A test copy of each variant is on its way to your address",
    )
