"""One's own profile: name, time zone, password (with the current one), web sessions and the
sender identities one sends email as.

A password is never set with an API key (nexa.user.service.refuse_password_by_api_key), so
this page is where a user changes their own. Changing it ends every web session of the user
(a stolen cookie included); the browser that changed it gets a new session at once."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time
from functools import lru_cache
from typing import Any
from zoneinfo import available_timezones

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from nexa.api.proxies import client_address
from nexa.auth import service as auth_service
from nexa.core.actor import Actor
from nexa.core.errors import ValidationFailed
from nexa.email import service as email_service
from nexa.email.schemas import SenderIdentityIn
from nexa.notification import service as notifications
from nexa.user import service as users
from nexa.web.admin.common import CSRF, Failure, attempt, done, posted
from nexa.web.pages import SESSION_KEY, PostedForm, WebActor, WebSession, render
from nexa.web.zones import DATE_FORMAT_CHOICES

router = APIRouter()


def _page(
    request: Request,
    session: Session,
    actor: Actor,
    *,
    values: dict[str, Any] | None = None,
    sender: dict[str, Any] | None = None,
    failure: Failure | None = None,
    new_key: tuple[Any, str] | None = None,
) -> HTMLResponse:
    me = users.get_me(session, actor)
    current = {
        "full_name": me.full_name,
        "timezone": me.timezone,
        "date_format": me.date_format,
        "notify_by_email": me.notify_by_email,
    }
    return render(
        request,
        "profile/page.html",
        actor,
        session,
        status_code=failure.status if failure else 200,
        me=me,
        values=current | (values or {}),
        errors=failure.errors if failure else {},
        sign_ins=auth_service.live_sessions(session, me.id),
        senders=email_service.list_senders(session, actor),
        sender=sender or {},
        notification_kinds=notifications.KINDS,
        notification_settings=notifications.settings_of(session, actor),
        zones=zone_choices(),
        api_keys=users.my_api_keys(session, actor),
        new_key=new_key,
        date_formats=DATE_FORMAT_CHOICES,
    )


@lru_cache(maxsize=1)
def zone_choices() -> list[tuple[str, str]]:
    """Every time zone this machine knows, as (name, "America/New York"-like label)."""
    names = sorted(z for z in available_timezones() if "/" in z or z == "UTC")
    return [(z, z.replace("_", " ")) for z in names]


@router.get("/profile", response_class=HTMLResponse)
def profile(request: Request, session: WebSession, actor: WebActor) -> HTMLResponse:
    return _page(request, session, actor)


@router.post("/profile", dependencies=CSRF)
def save_profile(
    request: Request, form: PostedForm, session: WebSession, actor: WebActor
) -> Response:
    values = posted(form, "full_name", "timezone", "date_format", flags=("notify_by_email",))
    if values["full_name"] is None:
        failure = Failure({"full_name": "give your name"})
        return _page(request, session, actor, values=values, failure=failure)
    saved = attempt(
        session,
        lambda: {k: v for k, v in values.items() if v is not None},
        lambda body: users.update_me(session, actor, body),
    )
    if isinstance(saved, Failure):
        return _page(request, session, actor, values=values, failure=saved)
    return done(request, "Profile saved.", "/profile")


@router.post("/profile/password", dependencies=CSRF)
def change_password(
    request: Request, form: PostedForm, session: WebSession, actor: WebActor
) -> Response:
    new, repeated = form.get("password") or None, form.get("password_again") or None
    if new != repeated:
        failure = Failure({"password_again": "the two new passwords differ"})
        return _page(request, session, actor, failure=failure)
    body = {"password": new, "current_password": form.get("current_password") or None}
    if new is None:
        return _page(request, session, actor, failure=Failure({"password": "give a new password"}))
    me = attempt(session, lambda: body, lambda values: users.update_me(session, actor, values))
    if isinstance(me, Failure):
        return _page(request, session, actor, failure=me)
    # every session of the user ended with the change, this one too: start a fresh one
    token = auth_service.start_session(
        session,
        me,
        client=client_address(request),
        user_agent=request.headers.get("user-agent", ""),
    )
    request.session[SESSION_KEY] = token
    return done(request, "Password changed; every other sign-in has ended.", "/profile")


@router.post("/profile/sessions/end", dependencies=CSRF)
def end_other_sessions(request: Request, session: WebSession, actor: WebActor) -> Response:
    """Sign out everywhere else: this browser gets a fresh session, every other one ends."""
    me = users.get_me(session, actor)
    ended = users.end_sessions(session, actor, me.id)
    token = auth_service.start_session(
        session,
        me,
        client=client_address(request),
        user_agent=request.headers.get("user-agent", ""),
    )
    request.session[SESSION_KEY] = token
    others = max(ended - 1, 0)
    return done(
        request, f"Signed out {others} other session{'s' if others != 1 else ''}.", "/profile"
    )


@router.post("/profile/senders", dependencies=CSRF)
def add_sender(
    request: Request, form: PostedForm, session: WebSession, actor: WebActor
) -> Response:
    values = posted(form, "name", "address", "signature")
    outcome = attempt(
        session,
        lambda: SenderIdentityIn.model_validate(
            {
                "name": values["name"] or "",
                "address": values["address"] or "",
                "signature": str(form.get("signature") or ""),
            }
        ),
        lambda body: email_service.create_sender(session, actor, body),
    )
    if isinstance(outcome, Failure):
        return _page(request, session, actor, sender=values, failure=outcome)
    return done(request, "Sender identity added.", "/profile")


@router.post("/profile/senders/{sender_id}/delete", dependencies=CSRF)
def delete_sender(
    request: Request, sender_id: uuid.UUID, session: WebSession, actor: WebActor
) -> Response:
    email_service.delete_sender(session, actor, sender_id)
    return done(request, "Sender identity removed.", "/profile")


@router.post("/profile/api-keys", dependencies=CSRF)
def create_key(
    request: Request, form: PostedForm, session: WebSession, actor: WebActor
) -> Response:
    """A personal key; its token is shown on the page this once (never stored, never put in
    the session cookie)."""
    values = posted(form, "key_name", "kind", "expires_on")

    def parse() -> dict[str, Any]:
        expires = None
        if values["expires_on"]:
            try:
                day = date.fromisoformat(values["expires_on"])
            except ValueError:
                raise ValidationFailed("give a date", field="expires_on") from None
            expires = datetime.combine(day, time(23, 59), tzinfo=UTC)
        return {"name": values["key_name"] or "", "kind": values["kind"] or "all",
                "expires_at": expires}  # fmt: skip

    made = attempt(session, parse, lambda body: users.create_my_api_key(session, actor, **body))
    if isinstance(made, Failure):
        errors = {("key_name" if k == "name" else k): m for k, m in made.errors.items()}
        return _page(request, session, actor, failure=Failure(errors, made.status))
    return _page(request, session, actor, new_key=made)


@router.post("/profile/api-keys/{key_id}/revoke", dependencies=CSRF)
def revoke_key(
    request: Request, key_id: uuid.UUID, session: WebSession, actor: WebActor
) -> Response:
    users.revoke_my_api_key(session, actor, key_id)
    return done(request, "Key revoked: it no longer works.", "/profile")
