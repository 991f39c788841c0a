"""SMS: the provider settings and messages as they come and go."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from nexa.core.schemas import InputModel, OutputModel
from nexa.models.sms import MAX_BODY

Provider = Literal["log", "twilio", "http"]
State = Literal["queued", "sent", "failed", "refused", "received"]
Direction = Literal["out", "in"]
RecordType = Literal["lead", "contact"]
ConsentStatus = Literal["subscribed", "unsubscribed", "unknown"]
ConsentSource = Literal["form", "import", "api", "manual"]

TWILIO_URL = "https://api.twilio.com"
# keywords of inbound messages (one word, case and punctuation ignored)
STOP_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"})
START_WORDS = frozenset({"START", "YES", "UNSTOP"})
HELP_WORDS = frozenset({"HELP", "INFO"})


class SmsSettingsIn(InputModel):
    """The organization's SMS provider. Secrets (``auth_token``, ``http_secret``) are
    write-only: left out (or null) keeps the stored one, ``""`` removes it. Provider URLs are
    called through the outbound guard: one that resolves to a private, loopback or metadata
    address is refused (unless its host is in ``allowed_hosts``)."""

    provider: Provider = Field("log", description="log (records only, for trials), twilio, http")
    from_number: str = Field("", max_length=32, description="The sender number (E.164)")
    account_sid: str = Field("", max_length=64, description="Twilio account SID")
    auth_token: str | None = Field(None, max_length=200, description="Twilio auth token")
    base_url: str = Field(TWILIO_URL, max_length=500, description="Twilio-compatible API root")
    http_url: str = Field("", max_length=500, description="Generic HTTP provider: POST URL")
    http_header: str = Field(
        "Authorization",
        max_length=100,
        pattern=r"^[A-Za-z0-9-]+$",
        description="Generic HTTP provider: the header carrying the secret",
    )
    http_secret: str | None = Field(None, max_length=500, description="That header's value")
    requires_opt_in: bool = Field(
        False,
        description="SMS goes only to contacts and leads that opted in (otherwise only an "
        "opt-out stops it)",
    )
    allowed_hosts: list[str] = Field(
        default_factory=list,
        max_length=20,
        description="Hosts allowed although they resolve to private addresses (an on-premises "
        "gateway)",
    )


class SmsSettings(BaseModel):
    configured: bool
    provider: Provider = "log"
    from_number: str = ""
    account_sid: str = ""
    auth_token_set: bool = False
    base_url: str = TWILIO_URL
    http_url: str = ""
    http_header: str = "Authorization"
    http_secret_set: bool = False
    requires_opt_in: bool = False
    allowed_hosts: list[str] = Field(default_factory=list)
    inbound_path: str = Field(
        "", description="Where the provider posts inbound messages (contains the secret token)"
    )


class SmsSend(InputModel):
    record_type: RecordType
    record_id: uuid.UUID
    body: str = Field(max_length=MAX_BODY, json_schema_extra={"x-multiline": True})
    dedupe_key: str | None = Field(
        None,
        max_length=200,
        description="Queue at most one message per key: sending again with the same key "
        "returns the message already written",
    )


class SmsOut(OutputModel):
    id: uuid.UUID
    direction: Direction
    to_number: str
    from_number: str | None
    body: str
    record_type: RecordType | None
    record_id: uuid.UUID | None
    state: State
    provider: str | None
    provider_message_id: str | None
    attempts: int
    next_attempt_at: datetime | None
    error: str | None
    keyword: str | None
    dedupe_key: str | None
    owner_id: uuid.UUID | None
    created_at: datetime
    sent_at: datetime | None
    received_at: datetime | None


class SmsList(BaseModel):
    items: list[SmsOut]


class SmsConsentIn(InputModel):
    """A contact's or lead's SMS consent as a user (a form, an import) records it."""

    status: Literal["subscribed", "unsubscribed"]
    source: ConsentSource = "manual"


class SmsConsent(BaseModel):
    record_type: RecordType
    record_id: uuid.UUID
    number: str | None = Field(description="The number texts go to (E.164), if any")
    status: ConsentStatus = Field(
        description="The record's own status (unknown: never set); STOP and START change it"
    )
    opted_out_at_number: bool = Field(
        False, description="Another record with this number opted out: nothing is sent"
    )
    consent_at: datetime | None = None
    consent_source: str | None = None
    changed_at: datetime | None = None


@dataclass
class SmsBulkResult:
    """What ``send_many`` did: the messages queued (now, or earlier under the same dedupe
    key) and the records skipped with the reason."""

    queued: list[uuid.UUID] = field(default_factory=list)
    skipped: list[tuple[uuid.UUID, str]] = field(default_factory=list)
