"""Words for the machine values the web UI shows: every enum value, field name, event and
permission as a person reads it. The API keeps the machine values; only pages use these
(registered as Jinja filters in ``nexa.web.pages``).

A value without an entry here is shown with its underscores made spaces and a capital
letter (``demo_request`` → "Demo request"), so a new enum value is never shown raw; the
entries are for the values that read better otherwise (``one_time`` → "One-time")."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from nexa.core.permissions import ROLE_LABELS

# value -> label, wherever the value is shown (the same word means the same thing)
VALUE_LABELS: dict[str, str] = {
    **ROLE_LABELS,
    # billing, deal types, stages
    "one_time": "One-time",
    "new_business": "New business",
    "cross_sell": "Cross-sell",
    "upsell": "Upsell",
    "closed_won": "Closed won",
    "closed_lost": "Closed lost",
    # calls and meetings
    "no_answer": "No answer",
    "wrong_number": "Wrong number",
    "callback_requested": "Callback requested",
    "no_show": "No-show",
    "inbound": "Inbound",
    "outbound": "Outbound",
    # campaigns
    "one_off_email": "One-off email",
    "paid_ads": "Paid ads",
    "meeting_booked": "Meeting booked",
    "deal_created": "Deal created",
    "form_submission": "Form submitted",
    "custom_event": "Custom event",
    "goal_reached": "Goal reached",
    # tasks
    "in_progress": "In progress",
    "done": "Done",
    # accounts
    "mid-market": "Mid-market",
    "smb": "Small business",
    # record visibility
    "private": "Private (owner, team and managers)",
    "public_read": "Everyone can read",
    "public_read_write": "Everyone can read and edit",
    # routing
    "top_performer": "Top performer",
    "round_robin": "Round robin",
    "sdr_queue": "SDR queue",
    # phone enrichment
    "fixed_line": "Landline",
    "fixed_line_or_mobile": "Landline or mobile",
    "toll_free": "Toll-free",
    "premium_rate": "Premium rate",
    "shared_cost": "Shared cost",
    "voip": "VoIP",
    "personal_number": "Personal number",
    "uan": "Company number",
    "vp": "VP",
    "c_level": "C-level",
    "it": "IT",
    # email
    "starttls": "STARTTLS",
    "tls": "TLS",
    "hard_bounce": "Hard bounce",
    "double_opt_in": "Double opt-in",
    "unsubscribe_link": "Unsubscribe link",
    "follow_up": "Follow-up",
    "re_engage": "Re-engage",
    "meeting_request": "Meeting request",
    "out": "Sent",
    "in": "Received",
    # data types of custom fields and web form fields
    "multiselect": "Multiple choice",
    "select": "Choice",
    "tel": "Phone",
    "textarea": "Long text",
    "url": "Web address",
    "boolean": "Yes / no",
}

# field name -> label (a column, a filter, a changed field in the timeline)
FIELD_LABELS: dict[str, str] = {
    "id": "ID",
    "full_name": "Name",
    "owner_id": "Owner",
    "account_id": "Account",
    "parent_id": "Parent account",
    "primary_contact_id": "Primary contact",
    "pipeline_id": "Pipeline",
    "stage_name": "Stage",
    "stage_id": "Stage",
    "team_id": "Team",
    "user_id": "User",
    "related_type": "Linked to",
    "related_id": "Linked record",
    "duration_seconds": "Duration",
    "starts_at": "Starts",
    "ends_at": "Ends",
    "due_at": "Due",
    "created_at": "Created",
    "updated_at": "Updated",
    "deleted_at": "Deleted",
    "last_contacted_at": "Last contacted",
    "status_changed_at": "Status changed",
    "stage_changed_at": "Stage changed",
    "converted_at": "Converted",
    "completed_at": "Completed",
    "closed_at": "Closed",
    "started_at": "Started",
    "order_date": "Order date",
    "close_date": "Close date",
    "valid_until": "Valid until",
    "sku": "SKU",
    "total_mrr": "Total MRR",
    "amount_org": "Amount (organization currency)",
    "weighted_value": "Weighted value",
    "win_probability": "Win probability",
    "probability_overridden": "Probability set by hand",
    "phone_number": "Phone number",
    "phone_country": "Phone country",
    "phone_line_type": "Phone line type",
    "email_kind": "Email kind",
    "linkedin_url": "LinkedIn",
    "video_url": "Video link",
    "ics_uid": "Calendar ID",
    "lost_reason": "Reason lost",
    "converted_contact_id": "Converted contact",
    "converted_account_id": "Converted account",
    "converted_deal_id": "Converted deal",
    "web_form_id": "Web form",
    "form_type": "Form type",
    "company_size": "Company size",
    "object_type": "Records",
    "billing_period": "Billing period",
    "notify_by_email": "Notifications by email",
}

# object name -> (singular, plural) for sentences
NOUNS: dict[str, tuple[str, str]] = {
    "lead": ("lead", "leads"),
    "contact": ("contact", "contacts"),
    "account": ("account", "accounts"),
    "deal": ("deal", "deals"),
    "quote": ("quote", "quotes"),
    "order": ("order", "orders"),
    "product": ("product", "products"),
    "task": ("task", "tasks"),
    "meeting": ("meeting", "meetings"),
    "call": ("call", "calls"),
    "note": ("note", "notes"),
    "list": ("list", "lists"),
    "campaign": ("campaign", "campaigns"),
    "mass_email": ("mass email", "mass emails"),
    "ticket": ("ticket", "tickets"),
    "inbox": ("shared inbox", "shared inboxes"),
    "kb": ("knowledge base article", "knowledge base articles"),
    "email": ("email", "emails"),
    "email_template": ("email template", "email templates"),
    "sms": ("text message", "text messages"),
    "user": ("user", "users"),
    "team": ("team", "teams"),
    "role": ("role", "roles"),
    "settings": ("organization setting", "organization settings"),
    "api_key": ("API key", "API keys"),
    "webhook": ("webhook", "webhooks"),
    "custom_field": ("custom field", "custom fields"),
    "audit": ("audit log entry", "the audit log"),
    "job": ("background job", "background jobs"),
    "notification": ("notification", "notifications"),
    "me": ("own profile", "own profile"),
    "search": ("search", "search"),
}

ACTIONS = {
    "read": "see",
    "create": "create",
    "write": "edit",
    "delete": "delete",
    "reassign": "reassign",
    "export": "export",
    "import": "import",
    "bulk_delete": "delete many",
    "convert": "convert",
}

# event name -> what happened, as a sentence without its subject ("Submitted the web form")
EVENT_SENTENCES: dict[str, str] = {
    "lead.form_submitted": "Submitted the web form",
    "lead.converted": "Converted into a contact, an account and a deal",
    "lead.routed": "Routed to a rep",
    "lead.sla_breached": "Missed the first-response time",
    "lead.status_changed": "Changed the status",
    "lead.model_trained": "Trained a lead model",
    "lead.model_activated": "Made a lead model the active one",
    "deal.stage_changed": "Moved to another stage",
    "deal.won": "Won the deal",
    "deal.lost": "Lost the deal",
    "quote.sent": "Sent the quote",
    "quote.accepted": "The quote was accepted",
    "quote.declined": "The quote was declined",
    "quote.expired": "The quote expired",
    "task.completed": "Completed the task",
    "call.recording_uploaded": "Added a call recording",
    "call.recording_deleted": "Removed the call recording",
    "list.members_added": "Added records to the list",
    "list.members_removed": "Removed records from the list",
    "email.queued": "Wrote an email",
    "email.sent": "Sent an email",
    "email.received": "Received an email",
    "email.replied": "Received a reply",
    "email.opened": "Opened an email",
    "email.clicked": "Clicked a link in an email",
    "email.bounced": "An email bounced",
    "email.failed": "An email could not be delivered",
    "email.unsubscribed": "Unsubscribed from email",
    "email.consent_changed": "Changed the email subscriptions",
    "campaign.status_changed": "Changed the campaign's status",
    "campaign.goal_reached": "Reached a campaign's goal",
    "campaign.member_exited": "Left a campaign",
    "sms.queued": "Wrote a text message",
    "sms.sent": "Sent a text message",
    "sms.failed": "A text message could not be delivered",
    "sms.received": "Received a text message",
    "sms.opted_out": "Opted out of text messages (STOP)",
    "sms.opted_in": "Opted in to text messages (START)",
    "notification.created": "Sent a notification",
    "user.sessions_ended": "Signed out everywhere",
    "webhook.ping": "Pinged the webhook",
}
VERBS = {
    "created": "Created",
    "updated": "Changed",
    "deleted": "Moved to the bin",
    "restored": "Restored from the bin",
}
SNAKE = re.compile(r"^[a-z][a-z0-9]*(?:[_-][a-z0-9]+)*$")


def _sentence_case(text: str) -> str:
    return text[:1].upper() + text[1:]


def value_label(value: Any) -> str:
    """An enum value as a word: ``cold_call`` → "Cold call" (the underscores gone)."""
    if value is None or value == "":
        return "—"
    text = str(value)
    found = VALUE_LABELS.get(text)
    if found is not None:
        return found
    if "_" in text and SNAKE.match(text):
        return _sentence_case(text.replace("_", " "))
    return _sentence_case(text) if SNAKE.match(text) else text


def field_label(name: str) -> str:
    """A field name as a label: ``last_contacted_at`` → "Last contacted"."""
    name = str(name).removeprefix("custom.")
    found = FIELD_LABELS.get(name)
    if found is not None:
        return found
    for suffix in ("_id", "_at"):
        if name.endswith(suffix) and len(name) > len(suffix):
            name = name[: -len(suffix)]
    return _sentence_case(name.replace("_", " "))


def field_list(names: Any) -> str:
    """``(last_contacted_at, status)`` → "Last contacted, Status"."""
    return ", ".join(field_label(n) for n in names)


def noun(object_name: str, count: int = 1) -> str:
    singular, plural = NOUNS.get(object_name, (object_name.replace("_", " "),) * 2)
    if plural == singular and object_name not in NOUNS:
        plural = singular + "s"
    return singular if count == 1 else plural


def permission_phrase(permission: str) -> str:
    """``quote:reassign`` → "reassign quotes"."""
    object_name, _, action = permission.partition(":")
    verb = ACTIONS.get(action, action.replace("_", " "))
    return f"{verb} {noun(object_name, 2)}"


def needs_permission(permission: str) -> str:
    """``quote:reassign`` → "You need permission to reassign quotes"."""
    return f"You need permission to {permission_phrase(permission)}"


PERMISSION_IN_TEXT = re.compile(r"\b([a-z_]+):([a-z_]+)\b")


def plain_permissions(text: str) -> str:
    """A text with its permission strings in words ("Reassigning needs quote:reassign" →
    "Changing the owner needs permission to reassign quotes")."""
    if not text:
        return text
    text = re.sub(
        r"Reassigning needs ([a-z_]+:[a-z_]+)",
        lambda m: f"Changing the owner needs permission to {permission_phrase(m.group(1))}",
        text,
    )

    def words(match: re.Match[str]) -> str:
        if match.group(2) in ACTIONS and match.group(1) in NOUNS:
            return f"permission to {permission_phrase(match.group(0))}"
        return match.group(0)

    return PERMISSION_IN_TEXT.sub(words, text)


SNAKE_IN_TEXT = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")


def plain_text(text: str) -> str:
    """A help text in words: its permission strings and field names (``before due_at``)
    written as people say them ("before due")."""
    if not text:
        return text
    text = plain_permissions(text)
    return SNAKE_IN_TEXT.sub(lambda m: field_label(m.group(0)).lower(), text)


# Pydantic's messages as stored by imports ("last_name: Field required"), in words
STORED_MESSAGES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\bField required\b"), "is required"),
    (
        re.compile(r"\bString should have at most (\d[\d,]*) characters?"),
        r"can be at most \1 characters",
    ),
    (re.compile(r"\bString should have at least 1 character\b"), "cannot be empty"),
    (
        re.compile(r"\bString should have at least (\d[\d,]*) characters"),
        r"needs at least \1 characters",
    ),
    (re.compile(r"\bString should match pattern '[^']*'"), "is not in the expected format"),
    (re.compile(r"\bnot a valid email address: (?!it )[^;]*"), "must be a valid email address"),
    (re.compile(r"\bvalue is not a valid email address: [^;]*"), "must be a valid email address"),
    (re.compile(r"\bInput should be a valid (?:number|decimal)[^;]*"), "must be a number"),
    (re.compile(r"\bInput should be a valid integer[^;]*"), "must be a whole number"),
    (re.compile(r"\bInput should be a valid date[^;]*"), "must be a date"),
    (re.compile(r"\bInput should be a valid UUID[^;]*"), "must be picked from the list"),
    (
        re.compile(r"\bInput should be ((?:'[^']*'(?:, | or )?)+)"),
        "must be one of the listed choices",
    ),
    (re.compile(r"\bInput should be greater than or equal to ([\d.,]+)"), r"must be at least \1"),
    (re.compile(r"\bInput should be less than or equal to ([\d.,]+)"), r"must be at most \1"),
)


def plain_error(text: str) -> str:
    """A stored error message (an import row's "last_name: Field required; email: value is
    not a valid email address: …") in words: "last name: is required; …"."""
    if not text:
        return text
    for pattern, words in STORED_MESSAGES:
        text = pattern.sub(words, text)
    return plain_text(text)


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """``1, "web form submission"`` → "1 web form submission"; 2 → "2 … submissions"."""
    word = singular if count == 1 else (plural_form or singular + "s")
    return f"{count:,} {word}"


def event_sentence(event: str) -> str:
    """What an event says happened, without its subject: "Submitted the web form"."""
    found = EVENT_SENTENCES.get(event)
    if found is not None:
        return found
    record_type, _, action = event.rpartition(".")
    verb = VERBS.get(action)
    if verb is not None:
        return f"{verb} the {noun(record_type)}"
    return _sentence_case(f"{action.replace('_', ' ')} ({noun(record_type)})")


def _timeline_label(entry: Any) -> str:
    """The record name an entry's stored summary carries (``"<who> <verb> <noun> <label>
    (<fields>)"``, see nexa.activity.subscribers.summarise), or ""."""
    summary = str(getattr(entry, "summary", "") or "")
    record_type = _source_type(entry) or str(getattr(entry, "record_type", "") or "")
    head = f" {record_type.replace('_', ' ')} "
    at = summary.find(head)
    if at < 0:
        return ""
    label = summary[at + len(head) :]
    changes = _changes(entry)
    if changes and label.endswith(")"):
        label = label[: label.rfind(" (")] if " (" in label else label
    return label.strip()


def _data(entry: Any) -> Mapping[str, Any]:
    data = getattr(entry, "data", None)
    return data if isinstance(data, Mapping) else {}


def _changes(entry: Any) -> Mapping[str, Any]:
    changes = _data(entry).get("changes")
    return changes if isinstance(changes, Mapping) else {}


def _source_type(entry: Any) -> str | None:
    source = _data(entry).get("source")
    if isinstance(source, Mapping):
        return str(source.get("record_type") or "") or None
    return None


# fields whose change is said with its values ("Changed the status from New to Contacted")
SAID_WITH_VALUES = ("status", "stage", "priority", "type", "outcome")


def timeline_sentence(entry: Any) -> str:
    """One timeline entry as a sentence: "Changed Last contacted, Status", "Created task
    Call back Ada" (on the record the task is linked to), "Submitted the web form"."""
    event = str(getattr(entry, "event", "") or "")
    record_type, _, action = event.rpartition(".")
    changes = _changes(entry)
    linked = _source_type(entry)
    if action == "updated" and changes:
        names = sorted(changes)
        said = [n for n in names if n in SAID_WITH_VALUES]
        if len(names) == 1 and said:
            change = changes[names[0]]
            if isinstance(change, list | tuple) and len(change) == 2:
                old, new = change
                text = f"Changed {field_label(names[0]).lower()} from {value_label(old)}"
                text += f" to {value_label(new)}"
                return _with_label(text, entry, linked, record_type)
        return _with_label(f"Changed {field_list(names)}", entry, linked, record_type)
    sentence = event_sentence(event)
    if linked:
        label = _timeline_label(entry)
        verb = VERBS.get(action)
        if verb is not None:
            return f"{verb} {noun(record_type)} {label}".strip()
        return f"{sentence}: {label}" if label else sentence
    return sentence


def activity_line(entry: Any) -> str:
    """A timeline entry seen away from its record (the dashboard's recent activity): who,
    what, on which record — "Jordan Blake: Changed Phone, Status · lead Ada Byron"."""
    event = str(getattr(entry, "event", "") or "")
    record_type = event.rpartition(".")[0] or str(getattr(entry, "record_type", "") or "")
    changes = _changes(entry)
    if event.endswith(".updated") and changes:
        what = f"Changed {field_list(sorted(changes))}"
    else:
        what = event_sentence(event)
    label = _timeline_label(entry)
    who = getattr(entry, "actor_name", None)
    text = f"{who}: {what}" if who else what
    return f"{text} · {noun(record_type)} {label}".strip() if label else text


def _with_label(text: str, entry: Any, linked: str | None, record_type: str) -> str:
    if not linked:
        return text
    label = _timeline_label(entry)
    return f"{text} of {noun(record_type)} {label}".strip()


__all__ = [
    "FIELD_LABELS",
    "VALUE_LABELS",
    "activity_line",
    "event_sentence",
    "field_label",
    "field_list",
    "needs_permission",
    "noun",
    "permission_phrase",
    "plain_error",
    "plain_permissions",
    "plain_text",
    "plural",
    "timeline_sentence",
    "value_label",
]
