"""/api/v1/emails (send, list, one message), /api/v1/email-templates (templates, preview),
/api/v1/email/… (the SMTP settings, the suppression list, the actor's sender identities, the
mailboxes mail is read from), /api/v1/email-threads (conversations, both directions) and
/api/v1/email-attachments/{id} (a received file).

No ``from __future__ import annotations``: FastAPI reads the body types from the real
annotations.
"""

import uuid
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.responses import JSONResponse

from nexa.api.crud import idempotent_create
from nexa.api.deps import ActorDep, SessionDep
from nexa.api.scopes import needs
from nexa.core.schemas import Problem
from nexa.email import assistant, engagement, mailboxes, service
from nexa.email.schemas import (
    DraftIn,
    DraftOut,
    EmailList,
    EmailOut,
    EmailPolicy,
    EmailPolicyIn,
    EmailSend,
    EmailStats,
    EmailTemplate,
    EmailTemplateIn,
    EmailTemplateList,
    EmailTemplateUpdate,
    EmailThreadList,
    EmailThreadOut,
    Kind,
    MailboxIn,
    MailboxList,
    MailboxOut,
    MailboxUpdate,
    PreviewIn,
    RecordType,
    Rendered,
    SenderIdentity,
    SenderIdentityIn,
    SenderIdentityList,
    SmtpSettings,
    SmtpSettingsIn,
    State,
    SubscriptionList,
    SubscriptionsIn,
    Suppression,
    SuppressionIn,
)

router = APIRouter(tags=["email"])
PROBLEMS: dict[int | str, dict[str, Any]] = {
    403: {"model": Problem},
    404: {"model": Problem},
    422: {"model": Problem},
}
# sending and previewing read the record: its type's read scope too (the service checks the
# one the body names)
RECORD_READ = "lead:read|contact:read|account:read|deal:read"
SEND_SCOPES = ("email:create", RECORD_READ)


# ---- settings, suppression, senders -------------------------------------------------------


@router.get(
    "/email/settings",
    response_model=SmtpSettings,
    summary="The organization's SMTP settings (the password is never returned)",
    responses=PROBLEMS,
    openapi_extra=needs("settings:read"),
)
def get_email_settings(session: SessionDep, actor: ActorDep) -> SmtpSettings:
    return service.get_smtp_settings(session, actor)


@router.put(
    "/email/settings",
    response_model=SmtpSettings,
    summary="Replace the SMTP settings (admins); the password is write-only",
    responses=PROBLEMS,
    openapi_extra=needs("settings:write"),
)
def put_email_settings(body: SmtpSettingsIn, session: SessionDep, actor: ActorDep) -> SmtpSettings:
    return service.put_smtp_settings(session, actor, body)


@router.get(
    "/email/suppressions",
    response_model=list[Suppression],
    summary="The suppression list",
    responses=PROBLEMS,
    openapi_extra=needs("settings:read"),
)
def list_suppressions(session: SessionDep, actor: ActorDep) -> list[Suppression]:
    return [Suppression.model_validate(s) for s in service.list_suppressions(session, actor)]


@router.post(
    "/email/suppressions",
    response_model=Suppression,
    status_code=201,
    summary="Suppress an address (hard bounce, complaint: all mail; unsubscribe: marketing)",
    responses=PROBLEMS,
    openapi_extra=needs("settings:write"),
)
def add_suppression(body: SuppressionIn, session: SessionDep, actor: ActorDep) -> Suppression:
    return Suppression.model_validate(service.suppress(session, actor, body))


@router.get(
    "/email/senders",
    response_model=SenderIdentityList,
    summary="Your sender identities",
    responses=PROBLEMS,
    openapi_extra=needs("me:read"),
)
def list_senders(session: SessionDep, actor: ActorDep) -> SenderIdentityList:
    return SenderIdentityList(
        items=[SenderIdentity.model_validate(s) for s in service.list_senders(session, actor)]
    )


@router.post(
    "/email/senders",
    response_model=SenderIdentity,
    status_code=201,
    summary="Add a sender identity (name, address at the from-domain, signature)",
    responses=PROBLEMS,
    openapi_extra=needs("me:write"),
)
def create_sender(body: SenderIdentityIn, session: SessionDep, actor: ActorDep) -> SenderIdentity:
    return SenderIdentity.model_validate(service.create_sender(session, actor, body))


@router.delete(
    "/email/senders/{sender_id}",
    status_code=204,
    summary="Remove one of your sender identities",
    responses=PROBLEMS,
    openapi_extra=needs("me:write"),
)
def delete_sender(sender_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> Response:
    service.delete_sender(session, actor, sender_id)
    return Response(status_code=204)


@router.get(
    "/email/policy",
    response_model=EmailPolicy,
    summary="Tracking and consent settings (open and click tracking; explicit opt-in for "
    "marketing)",
    responses=PROBLEMS,
    openapi_extra=needs("settings:read"),
)
def get_email_policy(session: SessionDep, actor: ActorDep) -> EmailPolicy:
    return service.get_policy(session, actor)


@router.put(
    "/email/policy",
    response_model=EmailPolicy,
    summary="Change the tracking and consent settings (admins)",
    responses=PROBLEMS,
    openapi_extra=needs("settings:write"),
)
def put_email_policy(body: EmailPolicyIn, session: SessionDep, actor: ActorDep) -> EmailPolicy:
    return service.put_policy(session, actor, body)


@router.get(
    "/email/stats",
    response_model=EmailStats,
    summary="Open and click rates of tracked, delivered mail (people only: machine opens "
    "and clicks by mail proxies and scanners are left out)",
    responses=PROBLEMS,
    openapi_extra=needs("settings:read"),
)
def email_stats(session: SessionDep, actor: ActorDep) -> EmailStats:
    return engagement.engagement_rates(session, actor)


# ---- subscriptions of contacts and leads ------------------------------------------------


@router.get(
    "/contacts/{contact_id}/subscriptions",
    response_model=SubscriptionList,
    summary="A contact's email subscriptions: status per type, consent time and source",
    responses=PROBLEMS,
    openapi_extra=needs("contact:read"),
)
def get_contact_subscriptions(
    contact_id: uuid.UUID, session: SessionDep, actor: ActorDep
) -> SubscriptionList:
    return engagement.get_subscriptions(session, actor, "contact", contact_id)


@router.put(
    "/contacts/{contact_id}/subscriptions",
    response_model=SubscriptionList,
    summary="Set a contact's subscription status for the types given",
    responses=PROBLEMS,
    openapi_extra=needs("contact:read", "contact:write"),
)
def put_contact_subscriptions(
    contact_id: uuid.UUID, body: SubscriptionsIn, session: SessionDep, actor: ActorDep
) -> SubscriptionList:
    return engagement.put_subscriptions(session, actor, "contact", contact_id, body)


@router.get(
    "/leads/{lead_id}/subscriptions",
    response_model=SubscriptionList,
    summary="A lead's email subscriptions: status per type, consent time and source",
    responses=PROBLEMS,
    openapi_extra=needs("lead:read"),
)
def get_lead_subscriptions(
    lead_id: uuid.UUID, session: SessionDep, actor: ActorDep
) -> SubscriptionList:
    return engagement.get_subscriptions(session, actor, "lead", lead_id)


@router.put(
    "/leads/{lead_id}/subscriptions",
    response_model=SubscriptionList,
    summary="Set a lead's subscription status for the types given",
    responses=PROBLEMS,
    openapi_extra=needs("lead:read", "lead:write"),
)
def put_lead_subscriptions(
    lead_id: uuid.UUID, body: SubscriptionsIn, session: SessionDep, actor: ActorDep
) -> SubscriptionList:
    return engagement.put_subscriptions(session, actor, "lead", lead_id, body)


# ---- templates ----------------------------------------------------------------------------


@router.get(
    "/email-templates",
    response_model=EmailTemplateList,
    summary="List email templates",
    responses=PROBLEMS,
    openapi_extra=needs("email_template:read"),
)
def list_templates(
    session: SessionDep, actor: ActorDep, kind: Annotated[Kind | None, Query()] = None
) -> EmailTemplateList:
    return EmailTemplateList(
        items=[service.to_template(t) for t in service.list_templates(session, actor, kind)]
    )


@router.post(
    "/email-templates",
    response_model=EmailTemplate,
    status_code=201,
    summary="Create an email template (rendered once against an empty record to check it)",
    responses=PROBLEMS,
    openapi_extra=needs("email_template:create"),
)
def create_template(body: EmailTemplateIn, session: SessionDep, actor: ActorDep) -> EmailTemplate:
    return service.to_template(service.create_template(session, actor, body))


@router.post(
    "/email-templates/preview",
    response_model=Rendered,
    summary="Render a template (or the given texts) against a real record",
    responses=PROBLEMS,
    openapi_extra=needs("email_template:read", RECORD_READ),
)
def preview_template(body: PreviewIn, session: SessionDep, actor: ActorDep) -> Rendered:
    return service.preview(session, actor, body)


@router.get(
    "/email-templates/{template_id}",
    response_model=EmailTemplate,
    summary="One email template",
    responses=PROBLEMS,
    openapi_extra=needs("email_template:read"),
)
def get_template(template_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> EmailTemplate:
    return service.to_template(service.get_template(session, actor, template_id))


@router.patch(
    "/email-templates/{template_id}",
    response_model=EmailTemplate,
    summary="Change an email template",
    responses=PROBLEMS,
    openapi_extra=needs("email_template:read", "email_template:write"),
)
def update_template(
    template_id: uuid.UUID, body: EmailTemplateUpdate, session: SessionDep, actor: ActorDep
) -> EmailTemplate:
    return service.to_template(service.update_template(session, actor, template_id, body))


@router.delete(
    "/email-templates/{template_id}",
    status_code=204,
    summary="Delete an email template",
    responses=PROBLEMS,
    openapi_extra=needs("email_template:read", "email_template:delete"),
)
def delete_template(template_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> Response:
    service.delete_template(session, actor, template_id)
    return Response(status_code=204)


# ---- messages -----------------------------------------------------------------------------


@router.get(
    "/emails",
    response_model=EmailList,
    summary="Sent and queued mail you can read, newest first, with state and SMTP reply",
    responses=PROBLEMS,
    openapi_extra=needs("email:read"),
)
def list_emails(
    session: SessionDep,
    actor: ActorDep,
    state: Annotated[State | None, Query()] = None,
    record_type: Annotated[RecordType | None, Query()] = None,
    record_id: Annotated[uuid.UUID | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> EmailList:
    rows = service.list_emails(
        session, actor, state=state, record_type=record_type, record_id=record_id, limit=limit
    )
    return EmailList(items=[service.to_out(m) for m in rows])


@router.post(
    "/emails",
    response_model=EmailOut,
    status_code=201,
    summary="Send a message from a record: rendered and queued now, delivered after commit "
    "(an Idempotency-Key makes a retried request send once)",
    responses=PROBLEMS,
    openapi_extra=needs(*SEND_SCOPES),
)
def send_email(
    request: Request,
    body: EmailSend,
    session: SessionDep,
    actor: ActorDep,
    idempotency_key: Annotated[str | None, Header(max_length=255)] = None,
) -> JSONResponse:
    def create() -> tuple[EmailOut, int]:
        return service.shown(session, service.send(session, actor, body)), 1

    return idempotent_create(
        request, session, actor, idempotency_key, body.model_dump(mode="json"), create
    )


@router.post(
    "/emails/draft",
    response_model=DraftOut,
    summary="Draft a message from a record (follow_up, intro, proposal, meeting_request, "
    "re_engage, reply) in a tone; nothing is sent. Made on this server from the record's "
    "facts and the organization's templates unless an assistant endpoint is configured",
    responses=PROBLEMS,
    openapi_extra=needs(*SEND_SCOPES),
)
def draft_email(body: DraftIn, session: SessionDep, actor: ActorDep) -> DraftOut:
    return assistant.draft(session, actor, body)


@router.get(
    "/emails/{email_id}",
    response_model=EmailOut,
    summary="One message: its state, attempts and the last SMTP reply",
    responses=PROBLEMS,
    openapi_extra=needs("email:read"),
)
def get_email(email_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> EmailOut:
    return service.shown(session, service.get_email(session, actor, email_id))


# ---- receiving: mailboxes, threads, attachments -------------------------------------------


@router.get(
    "/email/mailboxes",
    response_model=MailboxList,
    summary="Mailboxes mail is read from: yours (admins: all); passwords are never returned",
    responses=PROBLEMS,
    openapi_extra=needs("me:read"),
)
def list_mailboxes(session: SessionDep, actor: ActorDep) -> MailboxList:
    return MailboxList(
        items=[mailboxes.to_mailbox_out(m) for m in mailboxes.list_mailboxes(session, actor)]
    )


@router.post(
    "/email/mailboxes",
    response_model=MailboxOut,
    status_code=201,
    summary="Add a mailbox: a personal one of yours, or (admins) a shared one",
    responses={**PROBLEMS, 409: {"model": Problem}},
    openapi_extra=needs("me:write"),
)
def create_mailbox(body: MailboxIn, session: SessionDep, actor: ActorDep) -> MailboxOut:
    return mailboxes.to_mailbox_out(mailboxes.create_mailbox(session, actor, body))


@router.patch(
    "/email/mailboxes/{mailbox_id}",
    response_model=MailboxOut,
    summary="Change a mailbox (its IMAP server, folder, password; admins: the lead rule)",
    responses=PROBLEMS,
    openapi_extra=needs("me:write"),
)
def update_mailbox(
    mailbox_id: uuid.UUID, body: MailboxUpdate, session: SessionDep, actor: ActorDep
) -> MailboxOut:
    return mailboxes.to_mailbox_out(mailboxes.update_mailbox(session, actor, mailbox_id, body))


@router.delete(
    "/email/mailboxes/{mailbox_id}",
    status_code=204,
    summary="Remove a mailbox (the mail read from it stays)",
    responses=PROBLEMS,
    openapi_extra=needs("me:write"),
)
def delete_mailbox(mailbox_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> Response:
    mailboxes.delete_mailbox(session, actor, mailbox_id)
    return Response(status_code=204)


@router.get(
    "/email-threads",
    response_model=EmailThreadList,
    summary="Conversations holding mail you can read, latest activity first",
    responses=PROBLEMS,
    openapi_extra=needs("email:read"),
)
def list_threads(
    session: SessionDep,
    actor: ActorDep,
    record_type: Annotated[RecordType | None, Query()] = None,
    record_id: Annotated[uuid.UUID | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> EmailThreadList:
    rows = mailboxes.list_threads(
        session, actor, record_type=record_type, record_id=record_id, limit=limit
    )
    return EmailThreadList(items=[mailboxes.summary(t) for t in rows])


@router.get(
    "/email-threads/{thread_id}",
    response_model=EmailThreadOut,
    summary="One conversation: its messages in both directions that you can read, oldest first",
    responses=PROBLEMS,
    openapi_extra=needs("email:read"),
)
def get_thread(thread_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> EmailThreadOut:
    return mailboxes.get_thread(session, actor, thread_id)


@router.get(
    "/email-attachments/{attachment_id}",
    response_class=Response,
    summary="A received attachment's file (to whoever can read its message)",
    responses={**PROBLEMS, 200: {"content": {"application/octet-stream": {}}}},
    openapi_extra=needs("email:read"),
)
def download_attachment(attachment_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> Response:
    attachment, data = mailboxes.open_attachment(session, actor, attachment_id)
    quoted = quote(attachment.filename)
    return Response(
        content=data,
        media_type="application/octet-stream",
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quoted}",
            "X-Content-Type-Options": "nosniff",
            "X-Original-Content-Type": attachment.content_type,
        },
    )
