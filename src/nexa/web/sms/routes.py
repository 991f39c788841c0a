"""SMS admin page (/admin/sms): the provider settings (secrets write-only; provider URLs
refused when they point inside), SMS consent ("needs opt-in"), the inbound address to give the
provider, and the recent messages in both directions with their state and last error. The
rules live in nexa.sms.service."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from nexa.config import get_settings
from nexa.core.actor import Actor
from nexa.sms import service
from nexa.sms.schemas import SmsSettingsIn
from nexa.web.admin.common import CSRF, Failure, attempt, done, guard, lines, page, posted
from nexa.web.pages import PostedForm, WebSession

router = APIRouter()
SmsActor = Annotated[Actor, Depends(guard("sms"))]
PROVIDERS = (
    ("log", "Log only (nothing is sent: for trials)"),
    ("twilio", "Twilio (or a Twilio-compatible API)"),
    ("http", "Generic HTTP endpoint (JSON)"),
)
TEXT_FIELDS = (
    "provider",
    "from_number",
    "account_sid",
    "base_url",
    "http_url",
    "http_header",
)


def _page(
    request: Request,
    session: Any,
    actor: Actor,
    *,
    values: dict[str, Any] | None = None,
    failure: Failure | None = None,
) -> HTMLResponse:
    current = service.get_sms_settings(session, actor)
    shown = current.model_dump()
    shown["allowed_hosts"] = "\n".join(current.allowed_hosts)
    inbound = ""
    if current.configured:
        inbound = get_settings().public_url.rstrip("/") + current.inbound_path
    return page(
        request,
        "admin/sms.html",
        actor,
        session,
        "sms",
        failure=failure,
        settings=current,
        values=values if values is not None else shown,
        providers=PROVIDERS,
        inbound_url=inbound,
        messages=service.list_sms(session, actor, limit=50),
        can_write=actor.can("settings:write"),
    )


@router.get("/admin/sms", response_class=HTMLResponse)
def sms_page(request: Request, session: WebSession, actor: SmsActor) -> HTMLResponse:
    return _page(request, session, actor)


@router.post("/admin/sms/settings", dependencies=CSRF)
def save_settings(
    request: Request, form: PostedForm, session: WebSession, actor: SmsActor
) -> Response:
    values = posted(form, *TEXT_FIELDS, flags=("requires_opt_in",))
    hosts = str(form.get("allowed_hosts") or "")
    values["allowed_hosts"] = hosts
    token, secret = form.get("auth_token"), form.get("http_secret")

    def parse() -> SmsSettingsIn:
        return SmsSettingsIn.model_validate(
            {
                "provider": values["provider"] or "log",
                "from_number": values["from_number"] or "",
                "account_sid": values["account_sid"] or "",
                # an empty box keeps the stored secret
                "auth_token": str(token) if token else None,
                "base_url": values["base_url"] or "https://api.twilio.com",
                "http_url": values["http_url"] or "",
                "http_header": values["http_header"] or "Authorization",
                "http_secret": str(secret) if secret else None,
                "requires_opt_in": values["requires_opt_in"],
                "allowed_hosts": lines(hosts),
            }
        )

    outcome = attempt(session, parse, lambda body: service.put_sms_settings(session, actor, body))
    if isinstance(outcome, Failure):
        errors = {
            ("allowed_hosts" if k.startswith("allowed_hosts") else k): v
            for k, v in outcome.errors.items()
        }
        return _page(
            request, session, actor, values=values, failure=Failure(errors, outcome.status)
        )
    return done(request, "SMS settings saved.", "/admin/sms")
