"""Mail from the CRM: the "Email" card on lead, contact, account and deal pages — write or
draft a message from the record (to, cc, a template or a subject and text, send now or
later) and see the mail sent from it with its state — the user's sent folder (/email/sent)
and one message's page (/email/messages/{id}). "Draft" fills the form from the drafting
assistant (intent and tone; nothing is sent); "Send" queues it (nexa.email.service.send).
Both are htmx POSTs that swap the card; without JavaScript they answer the card as a
page."""

from __future__ import annotations

import uuid
from datetime import datetime, tzinfo
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from starlette.datastructures import UploadFile

from nexa.config import get_settings
from nexa.core.actor import Actor
from nexa.core.errors import DomainError
from nexa.core.filtering import ListQuery
from nexa.email import assistant, mailboxes, rendering, service
from nexa.email.schemas import DraftIn, EmailSend
from nexa.quote.service import QuoteService
from nexa.web.admin.common import Failure, attempt, field_errors, posted, status_of
from nexa.web.csrf import verify_csrf
from nexa.web.generic import InsightPanel, add_insight_panel
from nexa.web.pages import PostedForm, WebActor, WebSession, render
from nexa.web.zones import read_local, zone_named

router = APIRouter()
CSRF = [Depends(verify_csrf)]
PLURALS = {"lead": "leads", "contact": "contacts", "account": "accounts", "deal": "deals"}
INTENTS = (
    ("follow_up", "Follow up"),
    ("intro", "Introduce yourself"),
    ("proposal", "Send a proposal"),
    ("meeting_request", "Ask for a meeting"),
    ("re_engage", "Re-engage"),
    ("reply", "Reply to their last message"),
)
TONES = (("friendly", "Friendly"), ("formal", "Formal"), ("brief", "Brief"))
FIELDS = (
    "to", "cc", "template_id", "subject", "text", "send_at", "intent", "tone", "kind",
    "in_reply_to_id",
)  # fmt: skip

for _type, _plural in PLURALS.items():
    add_insight_panel(_type, InsightPanel("Email", f"/{_plural}/{{id}}/email", "email:create"))


def _addresses(value: str | None) -> list[dict[str, str]]:
    return [{"address": a.strip()} for a in (value or "").replace(";", ",").split(",") if a.strip()]


def _when(value: str | None, zone: tzinfo) -> str | None:
    """A datetime-local value, in the user's time zone."""
    if not value:
        return None
    moment = read_local(value, zone)
    return moment.isoformat() if isinstance(moment, datetime) else moment


def _card(
    request: Request,
    session: Any,
    actor: Actor,
    record_type: str,
    record_id: uuid.UUID,
    *,
    values: dict[str, Any] | None = None,
    failure: Failure | None = None,
    notice: str | None = None,
    draft: Any = None,
) -> HTMLResponse:
    messages = service.list_emails(
        session, actor, record_type=record_type, record_id=record_id, limit=10
    )
    quotes: list[Any] = []
    if record_type == "deal" and actor.can("quote:read"):
        quotes, _ = QuoteService(session, actor).list(
            ListQuery(filters=[f"deal_id:eq:{record_id}"], sort="-created_at", limit=10)
        )
    return render(
        request,
        "email/_compose.html",
        actor,
        session,
        status_code=failure.status if failure else 200,
        record_type=record_type,
        record_id=record_id,
        action=f"/{PLURALS[record_type]}/{record_id}/email",
        values=values or {"tone": "friendly", "intent": "follow_up"},
        errors=failure.errors if failure else {},
        notice=notice,
        draft=draft,
        intents=INTENTS,
        tones=TONES,
        templates=service.list_templates(session, actor),
        quotes=quotes,
        messages=messages,
        last_received=next((m for m in messages if getattr(m, "direction", "out") == "in"), None),
    )


def _routes(record_type: str, plural: str) -> None:
    @router.get(f"/{plural}/{{record_id}}/email", response_class=HTMLResponse)
    def email_card(
        request: Request, record_id: uuid.UUID, session: WebSession, actor: WebActor
    ) -> HTMLResponse:
        service.record_context(session, actor, record_type, record_id)  # 404 when unreadable
        return _card(request, session, actor, record_type, record_id)

    @router.post(
        f"/{plural}/{{record_id}}/email/draft", response_class=HTMLResponse, dependencies=CSRF
    )
    def draft_email(
        request: Request,
        record_id: uuid.UUID,
        form: PostedForm,
        session: WebSession,
        actor: WebActor,
    ) -> HTMLResponse:
        values = posted(form, *FIELDS, "reply_to_id")
        try:
            out = assistant.draft(
                session,
                actor,
                DraftIn.model_validate(
                    {
                        "record_type": record_type,
                        "record_id": record_id,
                        "intent": values["intent"] or "follow_up",
                        "tone": values["tone"] or "friendly",
                        "reply_to_id": values["reply_to_id"],
                    }
                ),
            )
        except (ValidationError, DomainError) as exc:
            failure = Failure(field_errors(exc), status_of(exc))
            return _card(request, session, actor, record_type, record_id, values=values,
                         failure=failure)  # fmt: skip
        values.update(subject=out.subject, text=out.text, template_id=None)
        if out.intent == "reply":  # sending it answers that message (In-Reply-To, its thread)
            values["in_reply_to_id"] = values["reply_to_id"]
        return _card(request, session, actor, record_type, record_id, values=values, draft=out)

    @router.post(f"/{plural}/{{record_id}}/email", response_class=HTMLResponse, dependencies=CSRF)
    def send_email(
        request: Request,
        record_id: uuid.UUID,
        form: PostedForm,
        session: WebSession,
        actor: WebActor,
    ) -> HTMLResponse:
        values = posted(form, *FIELDS)
        quote_ids = [q for q in form.getlist("quote_ids") if isinstance(q, str) and q][:5]
        limit = get_settings().email_max_attachment_bytes
        files = []
        for upload in form.getlist("files"):
            if isinstance(upload, UploadFile) and upload.filename:
                data = upload.file.read(limit + 1)  # one byte more says it is too large
                files.append(
                    (upload.filename, upload.content_type or "application/octet-stream", data)
                )
        text = values["text"]

        zone = zone_named(getattr(request.state, "timezone", None))

        def parse() -> EmailSend:
            return EmailSend.model_validate(
                {
                    "record_type": record_type,
                    "record_id": record_id,
                    "to": _addresses(values["to"]),
                    "cc": _addresses(values["cc"]),
                    "template_id": values["template_id"],
                    "subject": values["subject"],
                    "text": text,
                    # what is typed is sent as text and as HTML (links become tracked links)
                    "html": rendering.html_of_text(text) if text else None,
                    "quote_ids": quote_ids,
                    "kind": values["kind"] or "transactional",
                    "send_at": _when(values["send_at"], zone),
                    "in_reply_to_id": values["in_reply_to_id"],
                }
            )

        outcome = attempt(
            session, parse, lambda body: service.send(session, actor, body, files=files)
        )
        if isinstance(outcome, Failure):
            return _card(request, session, actor, record_type, record_id, values=values,
                         failure=outcome)  # fmt: skip
        when = "queued" if not values["send_at"] else f"scheduled for {values['send_at']}"
        notice = f"“{outcome.subject}” {when}."
        return _card(request, session, actor, record_type, record_id, notice=notice)


for _type, _plural in PLURALS.items():
    _routes(_type, _plural)


@router.get("/email/sent", response_class=HTMLResponse)
def sent_folder(request: Request, session: WebSession, actor: WebActor) -> HTMLResponse:
    messages = service.list_emails(session, actor, owner_id=actor.user_id, limit=200)
    return render(request, "email/sent.html", actor, session, messages=messages)


@router.get("/email/messages/{message_id}", response_class=HTMLResponse)
def message_page(
    request: Request, message_id: uuid.UUID, session: WebSession, actor: WebActor
) -> HTMLResponse:
    message = service.get_email(session, actor, message_id)
    thread = mailboxes.get_thread(session, actor, message.thread_id) if message.thread_id else None
    plural = PLURALS.get(message.related_type or "")
    record_url = f"/{plural}/{message.related_id}" if plural and message.related_id else None
    return render(
        request,
        "email/message.html",
        actor,
        session,
        m=message,
        record_url=record_url,
        thread=thread,
        attachments=service.shown(session, message).attachments,
    )


@router.get("/email/attachments/{attachment_id}")
def download_attachment(attachment_id: uuid.UUID, session: WebSession, actor: WebActor) -> Response:
    """A stored attachment, for whoever can read its message (else 404): always a download,
    never shown in the page (octet-stream, nosniff), whatever type the sender declared."""
    attachment, data = mailboxes.open_attachment(session, actor, attachment_id)
    return Response(
        content=data,
        media_type="application/octet-stream",
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(attachment.filename)}",
            "X-Content-Type-Options": "nosniff",
        },
    )
