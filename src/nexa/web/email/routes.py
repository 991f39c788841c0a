"""Email admin page (/admin/email): the SMTP settings (the password write-only), a connection
test, the suppression list, the recent messages with their state and last SMTP reply, the
mailboxes mail is read from (with their last error) and what became of the latest received
messages. The rules live in nexa.email.service and nexa.email.mailboxes."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from nexa.core.actor import Actor
from nexa.email import mailboxes, service
from nexa.email.schemas import MailboxIn, SmtpSettingsIn, SuppressionIn
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
    mailbox: dict[str, Any] | None = None,
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
