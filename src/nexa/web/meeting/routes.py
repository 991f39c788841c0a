"""The meeting page: attendees (contacts, users and guests, with their responses), adding and
removing them (MeetingUpdate.attendees: the service replaces the list and keeps the
responses of those who stay), outcome notes, and the invitation as an .ics download (the
same MeetingService.invitation as GET /api/v1/meetings/{id}/ics)."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from nexa.core.actor import Actor
from nexa.core.errors import DomainError, ValidationFailed
from nexa.meeting.schemas import AttendeeIn, MeetingUpdate
from nexa.meeting.service import MeetingService
from nexa.web import references
from nexa.web.choices import user_choices
from nexa.web.csrf import verify_csrf
from nexa.web.forms import errors_of
from nexa.web.generic import ObjectView, detail_context, object_view
from nexa.web.objects import OBJECTS
from nexa.web.pages import PostedForm, WebActor, WebSession, is_htmx, parse_uuid, render

router = APIRouter(prefix="/meetings")
CSRF = [Depends(verify_csrf)]
MEETINGS = OBJECTS["meetings"]


def attendee_context(
    session: Session, actor: Actor, record: Any, row: dict[str, Any]
) -> dict[str, Any]:
    attendees = list(row.get("attendees") or [])
    can_edit = actor.can("meeting:write")
    return {
        "attendees": attendees,
        "attendee_names": references.resolve(session, actor, attendees, ["contact_id"]),
        "attendee_users": user_choices(session, actor) if can_edit else [],
        "can_edit_attendees": can_edit,
        "meeting_id": record.id,
        "meeting_version": record.version,
        "attendee_error": None,
    }


@object_view("meeting")
class MeetingView(ObjectView):
    template = "meeting/detail.html"

    def get_extra_context(
        self, request: Request, session: Session, actor: Actor, record: Any, row: dict[str, Any]
    ) -> dict[str, Any]:
        return attendee_context(session, actor, record, row)


@router.get("/{meeting_id}/invite.ics")
def invite(meeting_id: uuid.UUID, session: WebSession, actor: WebActor) -> Response:
    text = MeetingService(session, actor).invitation(meeting_id)
    return Response(
        content=text.encode("utf-8"),
        media_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="meeting.ics"'},
    )


def _as_input(attendee: dict[str, Any]) -> dict[str, Any] | None:
    """An attendee as read back, as the schema takes it (contacts and users by id); None for
    one left with nothing to invite (a deleted contact without email)."""
    if attendee.get("contact_id"):
        return {"contact_id": attendee["contact_id"]}
    if attendee.get("user_id"):
        return {"user_id": attendee["user_id"]}
    if attendee.get("email"):
        return {"email": attendee["email"], "name": attendee.get("name")}
    return None


def _inputs(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [a for a in (_as_input(r) for r in rows) if a is not None]


def _new_attendee(form: Any) -> dict[str, Any]:
    contact = parse_uuid(str(form.get("contact_id") or ""))
    user = parse_uuid(str(form.get("user_id") or ""))
    email = str(form.get("email") or "").strip()
    if contact:
        return {"contact_id": contact}
    if user:
        return {"user_id": user}
    if email:
        return {"email": email, "name": str(form.get("name") or "").strip() or None}
    raise ValidationFailed("choose a contact, a user or an email address", field="attendees")


def _version(form: Any) -> int | None:
    try:
        return int(str(form.get("version")))
    except ValueError:
        return None


def _change_attendees(
    request: Request,
    form: FormData,
    meeting_id: uuid.UUID,
    session: Session,
    actor: Actor,
    change: Any,
) -> Response:
    svc = MeetingService(session, actor)
    try:
        record = svc.get(meeting_id)
        rows = MEETINGS.shape(session, record).model_dump()["attendees"]
        wanted = change(rows, form)
        body = MeetingUpdate(attendees=[AttendeeIn.model_validate(a) for a in wanted])
        with session.begin_nested():
            svc.update(meeting_id, body, if_match=_version(form))
    except (ValidationError, DomainError) as exc:
        errors = errors_of(exc)
        message = next(iter(errors.values()), "invalid attendee")
        code = exc.status if isinstance(exc, DomainError) else 422
        if code == 404:
            raise
        record = svc.get(meeting_id)
        row = MEETINGS.shape(session, record).model_dump()
        ctx = attendee_context(session, actor, record, row)
        ctx["attendee_error"] = message
        if is_htmx(request):
            return render(
                request, "meeting/_attendees.html", actor, session, status_code=code, **ctx
            )
        full = detail_context(request, session, actor, MEETINGS, meeting_id)
        full.update(attendee_error=message)
        return render(request, "meeting/detail.html", actor, session, status_code=code, **full)
    target = f"/meetings/{meeting_id}"
    if is_htmx(request):
        return Response(status_code=200, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


@router.post("/{meeting_id}/attendees", dependencies=CSRF)
def add_attendee(
    request: Request, form: PostedForm, meeting_id: uuid.UUID, session: WebSession, actor: WebActor
) -> Response:
    def add(rows: list[dict[str, Any]], form: Any) -> list[dict[str, Any]]:
        return [*_inputs(rows), _new_attendee(form)]

    return _change_attendees(request, form, meeting_id, session, actor, add)


@router.post("/{meeting_id}/attendees/{attendee_id}/remove", dependencies=CSRF)
def remove_attendee(
    request: Request,
    form: PostedForm,
    meeting_id: uuid.UUID,
    attendee_id: uuid.UUID,
    session: WebSession,
    actor: WebActor,
) -> Response:
    def remove(rows: list[dict[str, Any]], form: Any) -> list[dict[str, Any]]:
        return _inputs([r for r in rows if r["id"] != attendee_id])

    return _change_attendees(request, form, meeting_id, session, actor, remove)
