"""Inbound SMS: what the provider posts to the inbound webhook. The message is stored and
matched to a contact or lead by its sender's number (contacts first, then leads; unmatched
messages are stored too), put on that record's timeline (``sms.received``), and a keyword is
acted on: STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT opt every record at the number out of
SMS (``sms.opted_out``: nothing is sent to them again, campaigns included); START, YES,
UNSTOP opt them in again (``sms.opted_in``); HELP is only recorded."""

from __future__ import annotations

import hmac
import re
import uuid

from sqlalchemy.orm import Session

from nexa.config import get_settings
from nexa.core.actor import SYSTEM
from nexa.core.db import utcnow
from nexa.core.errors import NotFound, ValidationFailed
from nexa.core.events import publish
from nexa.core.fields import normalise_phone
from nexa.models import SmsMessage
from nexa.sms.events import OPTED_IN, OPTED_OUT, RECEIVED, SmsConsentPayload, SmsReceivedPayload
from nexa.sms.repository import SmsRepository
from nexa.sms.schemas import HELP_WORDS, START_WORDS, STOP_WORDS
from nexa.sms.service import inbound_token, record_consent

MAX_INBOUND = 10_000
_WORD = re.compile(r"[^\W_]+")


def keyword_of(body: str) -> str | None:
    """The keyword a message is, when it is one word of the lists (case and punctuation
    ignored: "Stop." is STOP; "please stop texting me" is not a keyword)."""
    words = _WORD.findall(body.upper())
    if len(words) != 1:
        return None
    word = words[0]
    return word if word in STOP_WORDS | START_WORDS | HELP_WORDS else None


def check_token(session: Session, token: str) -> None:
    """404 unless ``token`` is the organization's inbound token (compared in constant
    time)."""
    expected = inbound_token(session)
    if expected is None or not hmac.compare_digest(token.encode(), expected.encode()):
        raise NotFound("no such inbound address")


def _number(value: str, field: str) -> str:
    if not value:
        raise ValidationFailed("a number is needed", field=field)
    try:
        return normalise_phone(value, get_settings().default_region)
    except ValueError as exc:
        raise ValidationFailed(str(exc), field=field) from None


def receive(session: Session, token: str, sender: str, recipient: str, body: str) -> SmsMessage:
    """Store one inbound message and act on its keyword (see the module docstring)."""
    check_token(session, token)
    from_number = _number(sender, "from")
    to_number = _number(recipient, "to") if recipient else ""
    if len(body) > MAX_INBOUND:
        raise ValidationFailed(f"at most {MAX_INBOUND} characters", field="body")
    repo = SmsRepository(session)
    people = repo.people_at(from_number)
    first = people[0] if people else None
    keyword = keyword_of(body)
    now = utcnow()
    message = SmsMessage(
        id=uuid.uuid4(),
        direction="in",
        to_number=to_number,
        from_number=from_number,
        body=body,
        related_type=first[0] if first else None,
        related_id=first[1].id if first else None,
        state="received",
        attempts=0,
        keyword=keyword,
        owner_id=getattr(first[1], "owner_id", None) if first else None,
        received_at=now,
        created_at=now,
        updated_at=now,
    )
    repo.add_deduped(message)
    publish(
        session,
        SYSTEM,
        RECEIVED.name,
        record_type="sms",
        record_id=message.id,
        payload=SmsReceivedPayload(
            name=body[:80],
            from_number=from_number,
            related_type=message.related_type,
            related_id=str(message.related_id) if message.related_id else None,
            body=body,
            keyword=keyword,
        ),
    )
    if keyword in STOP_WORDS or keyword in START_WORDS:
        opted_out = keyword in STOP_WORDS
        status = "unsubscribed" if opted_out else "subscribed"
        pairs = [(record_type, record.id) for record_type, record in people]
        if pairs:
            record_consent(session, pairs, from_number, status, "sms_keyword")
        event = OPTED_OUT if opted_out else OPTED_IN
        for record_type, record in people:
            publish(
                session,
                SYSTEM,
                event.name,
                record_type=record_type,
                record_id=record.id,
                payload=SmsConsentPayload(
                    name=f"SMS {keyword} from {from_number}",
                    number=from_number,
                    keyword=keyword,
                    source="sms_keyword",
                    related_type=record_type,
                    related_id=str(record.id),
                ),
            )
    return message
