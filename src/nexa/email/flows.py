"""Flows that send mail for another domain's action: a quote's "Send" marks it sent and mails
its PDF to the customer in one transaction (email knows quotes; quotes do not know email)."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from nexa.core.actor import Actor
from nexa.core.errors import ValidationFailed
from nexa.email import service
from nexa.email.repository import EmailRepository
from nexa.email.schemas import EmailSend
from nexa.models import EmailMessage, Quote
from nexa.quote.service import QuoteService

GREETING = "Hello {{ contact.first_name | default('there') }},\n\n"
SIGN_OFF = (
    "\n\nI am glad to answer any question.\n\n{{ owner.full_name | default(organization.name) }}"
)


def send_quote(
    session: Session,
    actor: Actor,
    quote_id: uuid.UUID,
    *,
    to: list[str] | None = None,
    subject: str | None = None,
    text: str | None = None,
) -> tuple[Quote, EmailMessage | None]:
    """Mark the quote sent and, when email is set up, mail its PDF from its deal (or its
    contact, or its account) to ``to`` (default: the quote's contact). Without email set up the
    quote is only marked sent (the caller says so); a refusal rolls both back."""
    quote = QuoteService(session, actor).send(quote_id)
    if not EmailRepository(session).smtp_settings():
        return quote, None
    if quote.deal_id is not None:
        record_type, record_id = "deal", quote.deal_id
    elif quote.contact_id is not None:
        record_type, record_id = "contact", quote.contact_id
    elif quote.account_id is not None:
        record_type, record_id = "account", quote.account_id
    else:
        raise ValidationFailed("link the quote to a deal, contact or account first", field="to")
    recipients = [{"address": a} for a in (to or [])]
    if not recipients:
        contact = EmailRepository(session).contact(quote.contact_id)
        if contact is None or not contact.email:
            raise ValidationFailed(
                "name a recipient (the quote's contact has no email)", field="to"
            )
        name = " ".join(p for p in (contact.first_name, contact.last_name) if p)
        recipients = [{"name": name, "address": contact.email}]
    valid = f" It is valid until {quote.valid_until:%-d %B %Y}." if quote.valid_until else ""
    # the quote's own words go into a template: no braces from them
    number = f"{quote.number}, {quote.name}".replace("{", "(").replace("}", ")")
    body = EmailSend.model_validate(
        {
            "record_type": record_type,
            "record_id": record_id,
            "to": recipients,
            "subject": subject or f"Quote {quote.number}: {quote.name}",
            "text": text or f"{GREETING}please find attached our quote {number}.{valid}{SIGN_OFF}",
            "quote_ids": [quote.id],
        }
    )
    return quote, service.send(session, actor, body)
