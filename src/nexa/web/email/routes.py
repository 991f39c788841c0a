"""Email admin page (/admin/email): the SMTP settings (the password write-only), a connection
test, the suppression list and the recent messages with their state and last SMTP reply.
The rules live in nexa.email.service."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from nexa.core.actor import Actor
from nexa.email import service
from nexa.email.schemas import SmtpSettingsIn, SuppressionIn
from nexa.web.admin.common import CSRF, Failure, attempt, done, guard, integer, page, posted
from nexa.web.pages import PostedForm, WebSession

router = APIRouter()
EmailActor = Annotated[Actor, Depends(guard("email"))]
SECURITY = (("starttls", "STARTTLS"), ("tls", "Implicit TLS"), ("none", "None (local relay)"))
REASONS = (
    ("hard_bounce", "Hard bounce (no mail at all)"),
    ("complaint", "Complaint (no mail at all)"),
    ("unsubscribe", "Unsubscribed (no marketing mail)"),
)


def _page(
    request: Request,
    session: Any,
    actor: Actor,
    *,
    values: dict[str, Any] | None = None,
    suppression: dict[str, Any] | None = None,
    failure: Failure | None = None,
    check: Any = None,
) -> HTMLResponse:
    current = service.get_smtp_settings(session, actor)
    return page(
        request,
        "admin/email.html",
        actor,
        session,
        "email",
        failure=failure,
        settings=current,
        values=values if values is not None else current.model_dump(),
        suppression=suppression or {},
        security=SECURITY,
        reasons=REASONS,
        suppressions=service.list_suppressions(session, actor),
        messages=service.list_emails(session, actor, limit=50),
        can_write=actor.can("settings:write"),
        check=check,
    )


@router.get("/admin/email", response_class=HTMLResponse)
def email_page(request: Request, session: WebSession, actor: EmailActor) -> HTMLResponse:
    return _page(request, session, actor)


@router.post("/admin/email/settings", dependencies=CSRF)
def save_settings(
    request: Request, form: PostedForm, session: WebSession, actor: EmailActor
) -> Response:
    values = posted(
        form, "host", "port", "security", "username", "from_domain", "from_name", "from_local_part"
    )
    password = form.get("password")
    clear = str(form.get("clear_password") or "") == "true"

    def parse() -> SmtpSettingsIn:
        return SmtpSettingsIn.model_validate(
            {
                "host": values["host"] or "",
                "port": integer(values["port"]) or 0,
                "security": values["security"] or "starttls",
                "username": values["username"] or "",
                # an empty box keeps the stored password; the check box removes it
                "password": "" if clear else (str(password) if password else None),
                "from_domain": values["from_domain"] or "",
                "from_name": values["from_name"] or "",
                "from_local_part": values["from_local_part"] or "crm",
            }
        )

    outcome = attempt(session, parse, lambda body: service.put_smtp_settings(session, actor, body))
    if isinstance(outcome, Failure):
        return _page(request, session, actor, values=values, failure=outcome)
    return done(request, "Email settings saved.", "/admin/email")


@router.post("/admin/email/check", dependencies=CSRF)
def check_connection(request: Request, session: WebSession, actor: EmailActor) -> HTMLResponse:
    """Connect to the saved server now and show its answer."""
    service.get_smtp_settings(session, actor)  # the permission check
    return _page(request, session, actor, check=service.check_connection(session))


@router.post("/admin/email/suppressions", dependencies=CSRF)
def add_suppression(
    request: Request, form: PostedForm, session: WebSession, actor: EmailActor
) -> Response:
    values = posted(form, "address", "reason", "detail")

    def parse() -> SuppressionIn:
        return SuppressionIn.model_validate(
            {
                "address": values["address"] or "",
                "reason": values["reason"] or "",
                "detail": values["detail"] or "",
            }
        )

    outcome = attempt(session, parse, lambda body: service.suppress(session, actor, body))
    if isinstance(outcome, Failure):
        return _page(request, session, actor, suppression=values, failure=outcome)
    return done(request, "Address suppressed.", "/admin/email")
