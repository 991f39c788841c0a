"""Email: the SMTP settings, sender identities, templates and messages as they come and go."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Literal

from pydantic import BaseModel, Field, field_validator

from nexa.core.fields import EmailValue
from nexa.core.schemas import InputModel, OutputModel

Security = Literal["starttls", "tls", "none"]
Kind = Literal["transactional", "marketing"]
Intent = Literal["follow_up", "intro", "proposal", "meeting_request", "re_engage", "reply"]
Tone = Literal["formal", "friendly", "brief"]
State = Literal["queued", "sent", "deferred", "bounced", "failed", "received"]
Direction = Literal["out", "in"]
MailboxKind = Literal["personal", "shared"]
RecordType = Literal["lead", "contact", "account", "deal"]
Reason = Literal["hard_bounce", "complaint", "unsubscribe"]
SubscriptionType = Literal["marketing", "newsletter", "product"]
SuppressionKind = Literal["all", "marketing", "newsletter", "product"]
SubscriptionStatus = Literal["subscribed", "unsubscribed", "unknown"]
ConsentSource = Literal["form", "import", "api", "manual", "double_opt_in", "unsubscribe_link"]
SubscriberType = Literal["contact", "lead"]

TEXT_MAX = 200_000
HTML_MAX = 500_000


class SmtpSettingsIn(InputModel):
    """The organization's SMTP server. ``password`` is write-only: left out (or null) keeps the
    stored one, ``""`` removes it."""

    host: str = Field(min_length=1, max_length=253)
    port: int = Field(587, ge=1, le=65535)
    security: Security = "starttls"
    username: str = Field("", max_length=320)
    password: str | None = Field(None, max_length=1000)
    from_domain: str = Field(
        min_length=1,
        max_length=253,
        pattern=r"^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)+$",
        description="The domain of the From address, Message-IDs and bounce addresses",
    )
    from_name: str = Field("", max_length=200, description="Default sender name")
    from_local_part: str = Field(
        "crm",
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9._%+-]+$",
        description="Default sender address: <from_local_part>@<from_domain>",
    )


class SmtpSettings(BaseModel):
    configured: bool
    host: str = ""
    port: int = 587
    security: Security = "starttls"
    username: str = ""
    password_set: bool = Field(False, description="Whether a password is stored (never shown)")
    from_domain: str = ""
    from_name: str = ""
    from_local_part: str = "crm"


class SenderIdentityIn(InputModel):
    name: str = Field(min_length=1, max_length=200)
    address: EmailValue = Field(description="Must be at the organization's from-domain")
    signature: str = Field("", max_length=5000, json_schema_extra={"x-multiline": True})


class SenderIdentity(OutputModel):
    id: uuid.UUID
    user_id: uuid.UUID
    name: str
    address: str
    signature: str
    created_at: datetime


class SenderIdentityList(BaseModel):
    items: list[SenderIdentity]


class Recipient(InputModel):
    address: EmailValue
    name: str = Field("", max_length=200)


class RecipientOut(BaseModel):
    address: str
    name: str = ""


class EmailTemplateIn(InputModel):
    name: str = Field(min_length=1, max_length=200)
    kind: Kind = "transactional"
    subject: str = Field(min_length=1, max_length=998)
    text: str = Field("", max_length=TEXT_MAX, json_schema_extra={"x-multiline": True})
    html: str = Field("", max_length=HTML_MAX)
    intent: Intent | None = Field(
        None, description="What the drafting assistant may use it for (none: not used by it)"
    )


class EmailTemplateUpdate(InputModel):
    name: str | None = Field(None, min_length=1, max_length=200)
    kind: Kind | None = None
    subject: str | None = Field(None, min_length=1, max_length=998)
    text: str | None = Field(None, max_length=TEXT_MAX, json_schema_extra={"x-multiline": True})
    html: str | None = Field(None, max_length=HTML_MAX)
    intent: Intent | None = None


class EmailTemplate(BaseModel):
    id: uuid.UUID
    name: str
    kind: Kind
    subject: str
    text: str
    html: str
    intent: Intent | None = None
    owner_id: uuid.UUID | None
    created_at: datetime
    updated_at: datetime


class EmailTemplateList(BaseModel):
    items: list[EmailTemplate]


class RecordRef(InputModel):
    record_type: RecordType
    record_id: uuid.UUID


class PreviewIn(RecordRef):
    """Render a saved template (``template_id``) or the given texts against a real record."""

    template_id: uuid.UUID | None = None
    subject: str | None = Field(None, max_length=998)
    text: str | None = Field(None, max_length=TEXT_MAX, json_schema_extra={"x-multiline": True})
    html: str | None = Field(None, max_length=HTML_MAX)


class Rendered(BaseModel):
    subject: str
    text: str
    html: str | None


class AttachmentIn(InputModel):
    filename: str = Field(min_length=1, max_length=255)
    content_type: str = Field("application/octet-stream", max_length=255)
    content_base64: str = Field(description="The file's bytes, base64 (25 MB at most by default)")


class EmailSend(RecordRef):
    """A message sent from a record. Subject and bodies are templates too (merge fields of the
    record); with ``template_id`` the template's are used for what is left out. ``to`` left
    empty sends to the record's own email address (a lead's, a contact's), or to its primary
    contact's (a deal's, an account's)."""

    to: list[Recipient] = Field(default_factory=list, max_length=1000)
    cc: list[Recipient] = Field(default_factory=list, max_length=1000)
    bcc: list[Recipient] = Field(default_factory=list, max_length=1000)
    template_id: uuid.UUID | None = None
    subject: str | None = Field(None, max_length=998)
    text: str | None = Field(None, max_length=TEXT_MAX, json_schema_extra={"x-multiline": True})
    html: str | None = Field(None, max_length=HTML_MAX)
    kind: Kind = "transactional"
    subscription: SubscriptionType | None = Field(
        None,
        description="The subscription type of marketing mail (marketing, newsletter, product; "
        "default marketing); transactional mail has none",
    )
    track: bool = Field(
        True,
        description="Track opens and clicks of this message (when the organization tracks)",
    )
    sender_id: uuid.UUID | None = Field(None, description="One of the actor's sender identities")
    reply_to: EmailValue = None
    send_at: datetime | None = Field(
        None, description="Send later: not before this time (at most a year ahead); now if left out"
    )
    attachments: list[AttachmentIn] = Field(default_factory=list, max_length=10)
    quote_ids: list[uuid.UUID] = Field(
        default_factory=list, max_length=5, description="Quotes whose PDF goes with the message"
    )
    in_reply_to_id: uuid.UUID | None = Field(
        None,
        description="The message this one answers (an email's id): it joins that conversation "
        "and carries In-Reply-To and References",
    )

    @field_validator("send_at")
    @classmethod
    def _later(cls, value: datetime | None) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("give a time zone (e.g. 2027-01-05T09:00:00+01:00)")
        if value - datetime.now(UTC) > timedelta(days=366):
            raise ValueError("at most a year ahead")
        return value


BULK_MAX = 5000


class BulkEmailSend(InputModel):
    """One message to each of many leads or contacts (their own address), rendered with each
    record's merge fields: mass email, and campaigns. Recipients the list stops, and records
    without an address or that the sender cannot read, are skipped with the reason."""

    record_type: Literal["lead", "contact"]
    record_ids: list[uuid.UUID] = Field(min_length=1, max_length=BULK_MAX)
    template_id: uuid.UUID | None = None
    subject: str | None = Field(None, max_length=998)
    text: str | None = Field(None, max_length=TEXT_MAX, json_schema_extra={"x-multiline": True})
    html: str | None = Field(None, max_length=HTML_MAX)
    kind: Kind = "marketing"
    subscription: SubscriptionType | None = Field(
        None, description="The subscription type of marketing mail (default marketing)"
    )
    track: bool = Field(True, description="Track opens and clicks (when the organization does)")
    sender_id: uuid.UUID | None = Field(None, description="One of the actor's sender identities")
    reply_to: EmailValue = None


class Skipped(BaseModel):
    record_id: uuid.UUID
    reason: str


class BulkEmailResult(BaseModel):
    queued: list[uuid.UUID] = Field(description="The ids of the messages written")
    skipped: list[Skipped]


class Engagement(BaseModel):
    """Opens and clicks of a message: people's, and machines' (mail proxies and scanners,
    which rates leave out)."""

    tracked: bool
    opens: int
    machine_opens: int
    clicks: int
    machine_clicks: int
    first_opened_at: datetime | None
    first_clicked_at: datetime | None


class EmailOut(BaseModel):
    id: uuid.UUID
    message_id: str
    kind: Kind
    subscription: SubscriptionType | None = None
    state: State
    from_name: str
    from_address: str
    reply_to: str | None
    to: list[RecipientOut]
    cc: list[RecipientOut]
    bcc: list[RecipientOut]
    subject: str
    text: str
    html: str | None
    template_id: uuid.UUID | None
    record_type: str | None
    record_id: uuid.UUID | None
    owner_id: uuid.UUID | None
    attempts: int
    next_attempt_at: datetime | None
    last_reply_code: int | None
    last_reply: str | None
    sent_at: datetime | None
    created_at: datetime
    direction: Direction = "out"
    thread_id: uuid.UUID | None = None
    in_reply_to: str | None = None
    received_at: datetime | None = None
    auto_submitted: bool = Field(
        False, description="Sent by a machine (an auto-reply, a list, a bounce): never answered"
    )
    notes: list[str] = Field(
        default_factory=list, description="What reading a received message noticed"
    )
    attachments: list[AttachmentOut] = Field(default_factory=list)
    engagement: Engagement


class AttachmentOut(BaseModel):
    id: uuid.UUID
    filename: str
    content_type: str
    size: int
    stored: bool = Field(description="False: refused (too large, a type that runs when opened)")
    refused: str | None = None


class EmailList(BaseModel):
    items: list[EmailOut]


class SuppressionIn(InputModel):
    address: EmailValue
    reason: Reason
    kind: SuppressionKind = Field(
        "all",
        description="An unsubscribe's subscription type (all: every non-transactional "
        "message); hard bounces and complaints always stop all mail",
    )
    detail: str = Field("", max_length=1000)


class Suppression(OutputModel):
    id: uuid.UUID
    address: str
    reason: Reason
    kind: str
    detail: str | None
    created_at: datetime


class DraftIn(RecordRef):
    """Ask the assistant for a draft from a record (nothing is sent)."""

    intent: Intent
    tone: Tone = "friendly"
    reply_to_id: uuid.UUID | None = Field(
        None, description="For intent 'reply': the message (an email's id) being answered"
    )


class DraftFact(BaseModel):
    name: str
    value: str


class DraftOut(BaseModel):
    subject: str
    text: str
    intent: Intent
    tone: Tone
    generator: Literal["offline", "endpoint"] = Field(
        description="offline: the phrasebook and the organization's templates on this server; "
        "endpoint: the configured language-model endpoint, checked against the record's facts"
    )
    model_version: str
    template_id: uuid.UUID | None = Field(
        None, description="The organization's template used (the best reply rate for the intent)"
    )
    template_reply_rate: float | None = None
    facts: list[DraftFact] = Field(description="The record's facts the draft states")
    notes: list[str] = Field(default_factory=list)


# ---- receiving ------------------------------------------------------------------------------


class EmailThreadSummary(BaseModel):
    id: uuid.UUID
    subject: str
    first_message_at: datetime
    last_message_at: datetime
    message_count: int
    record_type: str | None
    record_id: uuid.UUID | None


class EmailThreadList(BaseModel):
    items: list[EmailThreadSummary]


class EmailThreadOut(EmailThreadSummary):
    messages: list[EmailOut] = Field(description="The ones you can read, oldest first")


class MailboxIn(InputModel):
    """A mailbox read over IMAP by ``nexa mail watch`` (or received for by ``nexa mail
    receive``). ``personal``: yours; ``shared`` (support@, sales@): admins only.
    ``imap_password`` is write-only."""

    address: EmailValue
    kind: MailboxKind = "personal"
    team_id: uuid.UUID | None = None
    imap_host: str = Field("", max_length=253, description="Empty: received by SMTP only")
    imap_port: int = Field(993, ge=1, le=65535)
    imap_security: Security = "tls"
    imap_username: str = Field("", max_length=320, description="Empty: the address")
    imap_password: str | None = Field(None, max_length=1000)
    folder: str = Field("INBOX", min_length=1, max_length=200)
    enabled: bool = True
    create_leads: bool = Field(
        False, description="A message from an unknown sender creates a lead (admins set it)"
    )


class MailboxUpdate(InputModel):
    imap_host: str | None = Field(None, max_length=253)
    imap_port: int | None = Field(None, ge=1, le=65535)
    imap_security: Security | None = None
    imap_username: str | None = Field(None, max_length=320)
    imap_password: str | None = Field(None, max_length=1000)
    folder: str | None = Field(None, min_length=1, max_length=200)
    enabled: bool | None = None
    create_leads: bool | None = None


class MailboxOut(OutputModel):
    id: uuid.UUID
    address: str
    kind: MailboxKind
    owner_id: uuid.UUID | None
    team_id: uuid.UUID | None
    imap_host: str
    imap_port: int
    imap_security: Security
    imap_username: str
    password_set: bool
    folder: str
    enabled: bool
    create_leads: bool
    uidvalidity: int | None
    last_uid: int
    last_checked_at: datetime | None
    last_error: str | None
    created_at: datetime


class MailboxList(BaseModel):
    items: list[MailboxOut]


EmailOut.model_rebuild()


class EmailPolicyIn(InputModel):
    """Tracking and consent settings of the organization."""

    tracking: bool = Field(True, description="Track opens (a pixel) and clicks (tracked links)")
    marketing_requires_opt_in: bool = Field(
        False,
        description="Marketing mail goes only to addresses whose contact or lead subscribed "
        "to its type (explicit opt-in); otherwise only unsubscribes stop it",
    )


class EmailPolicy(BaseModel):
    tracking: bool = True
    marketing_requires_opt_in: bool = False


class Subscription(BaseModel):
    type: SubscriptionType
    status: SubscriptionStatus
    consent_at: datetime | None = None
    consent_source: str | None = None
    changed_at: datetime | None = None


class SubscriptionList(BaseModel):
    record_type: SubscriberType
    record_id: uuid.UUID
    address: str | None
    items: list[Subscription]


class SubscriptionChange(InputModel):
    type: SubscriptionType
    status: Literal["subscribed", "unsubscribed"]
    source: ConsentSource = "manual"
    consent_at: datetime | None = Field(
        None, description="When consent was given (default: now); for subscribed only"
    )


class SubscriptionsIn(InputModel):
    """The types to change; the others keep their status."""

    items: list[SubscriptionChange] = Field(min_length=1, max_length=3)


class EmailStats(BaseModel):
    """Tracked, delivered messages and how many a person opened or clicked (machine opens
    and clicks left out); the rates are those over ``sent``."""

    sent: int
    opened: int
    clicked: int
    open_rate: float
    click_rate: float
