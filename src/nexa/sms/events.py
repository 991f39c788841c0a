"""The events SMS publishes. Their payload names the lead or contact the message belongs to
(``related_type``/``related_id``), so the timeline subscriber writes the entry there too."""

from __future__ import annotations

from dataclasses import dataclass

from nexa.core.events import EventPayload, declare


@dataclass(frozen=True, kw_only=True)
class SmsPayload(EventPayload):
    name: str  # the start of the body: what the timeline shows
    direction: str
    state: str
    to: str
    related_type: str | None = None
    related_id: str | None = None
    error: str | None = None


QUEUED = declare(
    "sms.queued",
    payload=SmsPayload,
    permission="sms:read",
    description="A text message was written and waits for delivery (after commit)",
)
SENT = declare(
    "sms.sent",
    payload=SmsPayload,
    permission="sms:read",
    description="The SMS provider accepted a message",
)
FAILED = declare(
    "sms.failed",
    payload=SmsPayload,
    permission="sms:read",
    description="A text message will not be delivered (a permanent provider refusal, an "
    "opt-out since it was queued, or too many attempts)",
)


@dataclass(frozen=True, kw_only=True)
class SmsReceivedPayload(EventPayload):
    """A message arrived on the inbound webhook; ``related_type``/``related_id`` name the
    lead or contact its number matched (none: unmatched); ``keyword`` is STOP, START, HELP …
    when the message was one."""

    name: str
    from_number: str
    related_type: str | None = None
    related_id: str | None = None
    body: str
    keyword: str | None = None


RECEIVED = declare(
    "sms.received",
    payload=SmsReceivedPayload,
    permission="sms:read",
    description="A text message arrived (stored, matched to its contact or lead by number)",
)


@dataclass(frozen=True, kw_only=True)
class SmsConsentPayload(EventPayload):
    """A person opted out of SMS or in again: by texting a keyword (``keyword``: STOP,
    START …; ``source`` sms_keyword) or as a user recorded it (``source``: form, import, api,
    manual)."""

    name: str
    number: str | None
    keyword: str | None
    source: str
    related_type: str | None = None
    related_id: str | None = None


OPTED_OUT = declare(
    "sms.opted_out",
    payload=SmsConsentPayload,
    permission="sms:read",
    description="A contact or lead texted STOP (or STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT), "
    "or a user recorded the opt-out: no SMS goes to them again until they opt in",
)
OPTED_IN = declare(
    "sms.opted_in",
    payload=SmsConsentPayload,
    permission="sms:read",
    description="A contact or lead texted START (or YES, UNSTOP), or a user recorded the "
    "opt-in: SMS may go to them again",
)
