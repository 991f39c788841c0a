"""Email admin page (/admin/email): the SMTP settings (the password write-only), a connection
test, the tracking and consent settings with the open and click rates, the suppression list,
the recent messages with their state, last SMTP reply and opens, the mailboxes mail is read
from (with their last error) and what became of the latest received messages. The "Email
subscriptions" panel of contact and lead pages (status per type; who edits the record
changes it). The rules live in nexa.email.service and nexa.email.mailboxes."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from nexa.core.actor import Actor
from nexa.core.errors import DomainError
from nexa.email import engagement, mailboxes, service
from nexa.email.schemas import (
    EmailPolicyIn,
    MailboxIn,
    SmtpSettingsIn,
    SubscriptionsIn,
    SuppressionIn,
)
from nexa.models.email import SUBSCRIPTION_TYPES
from nexa.web.admin.common import (
    CSRF,
    Failure,
    attempt,
    done,
    field_errors,
    guard,
    integer,
    page,
    posted,
)
from nexa.web.generic import InsightPanel, add_insight_panel
from nexa.web.pages import PostedForm, WebActor, WebSession, render

router = APIRouter()
EmailActor = Annotated[Actor, Depends(guard("email"))]
SECURITY = (("starttls", "STARTTLS"), ("tls", "Implicit TLS"), ("none", "None (local relay)"))
REASONS = (
    ("hard_bounce", "Hard bounce (no mail at all)"),
    ("complaint", "Complaint (no mail at all)"),
    ("unsubscribe", "Unsubscribed (no mail of the type below)"),
)
KINDS = (("all", "Every type"), *((t, t.capitalize()) for t in SUBSCRIPTION_TYPES))
STATUSES = (("subscribed", "Subscribed"), ("unsubscribed", "Unsubscribed"))
for _object in ("contact", "lead"):
    add_insight_panel(
        _object,
        InsightPanel("Email subscriptions", f"/{_object}s/{{id}}/subscriptions", f"{_object}:read"),
    )


def _page(
    request: Request,
    session: Any,
    actor: Actor,
    *,
    values: dict[str, Any] | None = None,
    suppression: dict[str, Any] | None = None,
    mailbox: dict[str, Any] | None = None,
    failure: Failure | None = None,
    check: Any = None,
    policy_values: dict[str, Any] | None = None,
) -> HTMLResponse:
    current = service.get_smtp_settings(session, actor)
    policy = service.get_policy(session, actor)
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
        kinds=KINDS,
        policy=policy_values if policy_values is not None else policy.model_dump(),
        stats=engagement.engagement_rates(session, actor),
        suppressions=service.list_suppressions(session, actor),
        messages=service.list_emails(session, actor, limit=50),
        can_write=actor.can("settings:write"),
        check=check,
        mailbox=mailbox or {"imap_port": 993, "imap_security": "tls", "folder": "INBOX"},
        mailboxes=mailboxes.list_mailboxes(session, actor),
        receipts=mailboxes.receipts(session, actor)[:50],
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
    values = posted(form, "address", "reason", "kind", "detail")

    def parse() -> SuppressionIn:
        return SuppressionIn.model_validate(
            {
                "address": values["address"] or "",
                "reason": values["reason"] or "",
                "kind": values["kind"] or "all",
                "detail": values["detail"] or "",
            }
        )

    outcome = attempt(session, parse, lambda body: service.suppress(session, actor, body))
    if isinstance(outcome, Failure):
        return _page(request, session, actor, suppression=values, failure=outcome)
    return done(request, "Address suppressed.", "/admin/email")


@router.post("/admin/email/mailboxes", dependencies=CSRF)
def add_mailbox(
    request: Request, form: PostedForm, session: WebSession, actor: EmailActor
) -> Response:
    """A shared mailbox (support@, sales@) read by `nexa mail watch`."""
    values = posted(
        form, "address", "imap_host", "imap_port", "imap_security", "imap_username", "folder"
    )
    password = form.get("imap_password")
    create_leads = str(form.get("create_leads") or "") == "true"

    def parse() -> MailboxIn:
        return MailboxIn.model_validate(
            {
                "address": values["address"] or "",
                "kind": "shared",
                "imap_host": values["imap_host"] or "",
                "imap_port": integer(values["imap_port"]) or 993,
                "imap_security": values["imap_security"] or "tls",
                "imap_username": values["imap_username"] or "",
                "imap_password": str(password) if password else None,
                "folder": values["folder"] or "INBOX",
                "create_leads": create_leads,
            }
        )

    outcome = attempt(session, parse, lambda body: mailboxes.create_mailbox(session, actor, body))
    if isinstance(outcome, Failure):
        return _page(request, session, actor, mailbox=values, failure=outcome)
    return done(request, "Mailbox added.", "/admin/email")


@router.post("/admin/email/policy", dependencies=CSRF)
def save_policy(
    request: Request, form: PostedForm, session: WebSession, actor: EmailActor
) -> Response:
    values = posted(form, flags=("tracking", "marketing_requires_opt_in"))

    def parse() -> EmailPolicyIn:
        return EmailPolicyIn.model_validate(values)

    outcome = attempt(session, parse, lambda body: service.put_policy(session, actor, body))
    if isinstance(outcome, Failure):
        return _page(request, session, actor, policy_values=values, failure=outcome)
    return done(request, "Tracking and consent settings saved.", "/admin/email")


# ---- the "Email subscriptions" panel of contact and lead pages ------------------------------


def _panel(
    request: Request,
    session: Any,
    actor: Actor,
    record_type: str,
    record_id: uuid.UUID,
    error: str | None = None,
) -> HTMLResponse:
    subscriptions = engagement.get_subscriptions(session, actor, record_type, record_id)
    return render(
        request,
        "email/_subscriptions.html",
        actor,
        session,
        subscriptions=subscriptions,
        action=f"/{record_type}s/{record_id}/subscriptions",
        can_write=actor.can(f"{record_type}:write"),
        statuses=STATUSES,
        error=error,
    )


def _save(
    request: Request,
    form: Any,
    session: Any,
    actor: Actor,
    record_type: str,
    record_id: uuid.UUID,
) -> HTMLResponse:
    changes = [
        {"type": t, "status": form.get(f"status_{t}"), "source": "manual"}
        for t in SUBSCRIPTION_TYPES
        if form.get(f"status_{t}") in ("subscribed", "unsubscribed")
    ]
    error = None
    try:
        if changes:
            body = SubscriptionsIn.model_validate({"items": changes})
            engagement.put_subscriptions(session, actor, record_type, record_id, body)
    except DomainError as exc:  # refused before anything was written
        if exc.status == 404:
            raise
        error = exc.detail
    except ValueError as exc:
        error = "; ".join(field_errors(exc).values()) or "not a valid change"
    return _panel(request, session, actor, record_type, record_id, error)


@router.get("/contacts/{record_id}/subscriptions", response_class=HTMLResponse)
def contact_subscriptions(
    request: Request, record_id: uuid.UUID, session: WebSession, actor: WebActor
) -> HTMLResponse:
    return _panel(request, session, actor, "contact", record_id)


@router.post("/contacts/{record_id}/subscriptions", dependencies=CSRF)
def save_contact_subscriptions(
    request: Request, record_id: uuid.UUID, form: PostedForm, session: WebSession, actor: WebActor
) -> HTMLResponse:
    return _save(request, form, session, actor, "contact", record_id)


@router.get("/leads/{record_id}/subscriptions", response_class=HTMLResponse)
def lead_subscriptions(
    request: Request, record_id: uuid.UUID, session: WebSession, actor: WebActor
) -> HTMLResponse:
    return _panel(request, session, actor, "lead", record_id)


@router.post("/leads/{record_id}/subscriptions", dependencies=CSRF)
def save_lead_subscriptions(
    request: Request, record_id: uuid.UUID, form: PostedForm, session: WebSession, actor: WebActor
) -> HTMLResponse:
    return _save(request, form, session, actor, "lead", record_id)
