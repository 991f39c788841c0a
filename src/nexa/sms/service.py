"""SMS (issue 19, "Channels"): the provider settings, consent, and sending. Delivery is
``nexa.sms.delivery``, the providers ``nexa.sms.transport``, receiving (and STOP/START)
``nexa.sms.inbound``.

* Sending (``send``, ``send_many``): in the caller's transaction the record is read with the
  actor's visibility, its number taken (a contact's mobile, else its phone; a lead's phone,
  in E.164) and its SMS consent checked; the ``sms_messages`` row is written — ``refused``
  with the reason when the person opted out (or, under "SMS needs opt-in", never opted in),
  else ``queued`` with ``sms.queued`` published, so the outbox row is in the same
  transaction. A ``dedupe_key`` already used returns the row written under it (no error, no
  second message): campaigns pass one per member and step.
* After commit the outbox handler (``on_queued``) queues ``sms.deliver`` on the
  ``deliveries`` queue (nexa.sms.delivery).
* Consent is an ``email_subscriptions`` row of type ``sms`` per contact or lead, its
  ``address`` the number: an opt-out follows the number to every record that has it.
"""

from __future__ import annotations

import secrets
import uuid
from typing import Any

from sqlalchemy.orm import Session

from nexa.config import get_settings
from nexa.core import outbound
from nexa.core.actor import SYSTEM, Actor
from nexa.core.db import utcnow
from nexa.core.errors import PermissionDenied, ValidationFailed
from nexa.core.events import OutboxMessage, enqueue_batched_after_commit, publish, publish_batch
from nexa.core.fields import normalise_phone, regional_phone
from nexa.core.repository import REPOSITORIES
from nexa.core.secretbox import seal, unseal
from nexa.models import EmailSubscription, SmsMessage
from nexa.models.sms import MAX_BODY, SMS_CONSENT_TYPE
from nexa.sms.events import OPTED_IN, OPTED_OUT, QUEUED, SmsConsentPayload, SmsPayload
from nexa.sms.repository import SmsRepository
from nexa.sms.schemas import (
    START_WORDS,
    STOP_WORDS,
    TWILIO_URL,
    SmsBulkResult,
    SmsConsent,
    SmsConsentIn,
    SmsOut,
    SmsSend,
    SmsSettings,
    SmsSettingsIn,
)
from nexa.sms.transport import ProviderConfig

DELIVER_JOB = "sms.deliver"
DELIVER_BATCH = 100
SENDABLE_FROM = ("lead", "contact")
INBOUND_PATH = "/sms/inbound/"

REFUSAL_WORDS = {
    "opted_out": "opted out of SMS (texted STOP): no SMS goes to this number",
    "no_consent": "has not opted in to SMS (the organization requires explicit opt-in)",
}


def _require(actor: Actor, permission: str, what: str) -> None:
    if not actor.can(permission):
        raise PermissionDenied(f"you may not {what}")


def _check_key_scope(actor: Actor, record_type: str) -> None:
    """A key sends from a record only with that record type's read scope."""
    scopes = actor.key_scopes
    if scopes is not None and "*" not in scopes and f"{record_type}:read" not in scopes:
        raise PermissionDenied(
            f"this API key lacks the scope {record_type}:read", missing_scope=f"{record_type}:read"
        )


# ---- settings -----------------------------------------------------------------------------


def get_sms_settings(session: Session, actor: Actor) -> SmsSettings:
    _require(actor, "settings:read", "read the SMS settings")
    stored = SmsRepository(session).settings()
    if not stored:
        return SmsSettings(configured=False)
    return SmsSettings(
        configured=True,
        provider=stored.get("provider", "log"),
        from_number=stored.get("from_number", ""),
        account_sid=stored.get("account_sid", ""),
        auth_token_set=bool(stored.get("auth_token")),
        base_url=stored.get("base_url", TWILIO_URL),
        http_url=stored.get("http_url", ""),
        http_header=stored.get("http_header", "Authorization"),
        http_secret_set=bool(stored.get("http_secret")),
        requires_opt_in=bool(stored.get("requires_opt_in")),
        allowed_hosts=list(stored.get("allowed_hosts") or []),
        inbound_path=INBOUND_PATH + str(stored.get("inbound_token", "")),
    )


def _check_provider_url(url: str, field: str, allowed_hosts: list[str]) -> str:
    """A provider URL the outbound guard accepts (a 422 naming ``field`` otherwise)."""
    if not url:
        raise ValidationFailed("a URL is needed for this provider", field=field)
    try:
        outbound.check_url(url, allowed_hosts=allowed_hosts, resolve=False)
    except outbound.OutboundRefused as exc:
        raise ValidationFailed(exc.detail, field=field) from None
    except outbound.OutboundFailed as exc:
        raise ValidationFailed(str(exc), field=field) from None
    return url


def _secret(given: str | None, stored: str) -> str:
    if given is None:
        return stored
    if given == "":
        return ""
    return seal(given, get_settings().effective_secret_key)


def put_sms_settings(session: Session, actor: Actor, data: SmsSettingsIn) -> SmsSettings:
    """Replace the SMS settings (admins). Secrets are stored encrypted
    (nexa.core.secretbox) and kept when left out; provider URLs are checked by the outbound
    guard now, and again at every call. The inbound token is made once and kept."""
    _require(actor, "settings:write", "change the SMS settings")
    repo = SmsRepository(session)
    stored = repo.settings() or {}
    hosts = sorted(outbound.normalise_allow_list(data.allowed_hosts))
    value: dict[str, Any] = data.model_dump(exclude={"auth_token", "http_secret"})
    value["allowed_hosts"] = hosts
    if data.from_number:
        try:
            value["from_number"] = normalise_phone(data.from_number, get_settings().default_region)
        except ValueError as exc:
            raise ValidationFailed(str(exc), field="from_number") from None
    value["auth_token"] = _secret(data.auth_token, str(stored.get("auth_token", "")))
    value["http_secret"] = _secret(data.http_secret, str(stored.get("http_secret", "")))
    if data.provider != "log" and not value["from_number"]:
        raise ValidationFailed("a sender number is needed for this provider", field="from_number")
    if data.provider == "twilio":
        if not data.account_sid:
            raise ValidationFailed("the account SID is needed", field="account_sid")
        if not value["auth_token"]:
            raise ValidationFailed("the auth token is needed", field="auth_token")
        _check_provider_url(data.base_url, "base_url", hosts)
    elif data.provider == "http":
        _check_provider_url(data.http_url, "http_url", hosts)
    value["inbound_token"] = stored.get("inbound_token") or secrets.token_urlsafe(24)
    repo.set_settings(value)
    return get_sms_settings(session, SYSTEM)


def provider_config(session: Session) -> ProviderConfig | None:
    """What the worker sends with (None: not configured). Raises ``SecretUnreadable`` when
    a stored secret no longer decrypts."""
    stored = SmsRepository(session).settings()
    if not stored:
        return None
    key = get_settings().effective_secret_key
    token = str(stored.get("auth_token") or "")
    secret = str(stored.get("http_secret") or "")
    return ProviderConfig(
        provider=str(stored.get("provider", "log")),
        from_number=str(stored.get("from_number", "")),
        account_sid=str(stored.get("account_sid", "")),
        auth_token=unseal(token, key) if token else "",
        base_url=str(stored.get("base_url", TWILIO_URL)),
        http_url=str(stored.get("http_url", "")),
        http_header=str(stored.get("http_header", "Authorization")),
        http_secret=unseal(secret, key) if secret else "",
        allowed_hosts=tuple(stored.get("allowed_hosts") or ()),
    )


def inbound_token(session: Session) -> str | None:
    stored = SmsRepository(session).settings()
    return str(stored["inbound_token"]) if stored and stored.get("inbound_token") else None


def requires_opt_in(session: Session) -> bool:
    stored = SmsRepository(session).settings()
    return bool(stored and stored.get("requires_opt_in"))


def _require_settings(session: Session) -> dict[str, Any]:
    stored = SmsRepository(session).settings()
    if not stored:
        raise ValidationFailed(
            "SMS is not set up: an admin chooses a provider first", field="settings"
        )
    return stored


# ---- numbers and consent ------------------------------------------------------------------


def number_of(record: Any) -> str | None:
    """The number to text: a contact's mobile, else its phone; a lead's phone (E.164; a
    value that is not a phone number is no number)."""
    for attribute in ("mobile", "phone"):
        value = getattr(record, attribute, None)
        if value:
            try:
                return regional_phone(str(value))
            except ValueError:
                continue
    return None


def refusals(
    session: Session, record_type: str, people: list[tuple[uuid.UUID, str]]
) -> dict[uuid.UUID, str]:
    """Record id → reason for each (record id, number) no SMS may go to, in two statements
    per 500 records:

    * ``opted_out``: the record, or any record at its number, opted out and not in since; or
      the number's latest keyword was a STOP (texted before any record had the number) and
      the record's own consent was not given after it;
    * ``no_consent``: the organization requires opt-in and the record has not opted in.
    """
    if not people:
        return {}
    repo = SmsRepository(session)
    numbers = [n for _, n in people]
    rows = repo.consent_rows([i for i, _ in people], numbers)
    keywords = repo.latest_keywords(numbers, STOP_WORDS | START_WORDS)
    own_rows = {(r.record_type, r.record_id): r for r in rows}
    out_numbers = {r.address for r in rows if r.status == "unsubscribed" and r.address}
    needs_opt_in = requires_opt_in(session)
    found: dict[uuid.UUID, str] = {}
    for record_id, number in people:
        own = own_rows.get((record_type, record_id))
        status = own.status if own is not None else None
        last = keywords.get(number)
        stopped = (
            last is not None
            and last[0] in STOP_WORDS
            and (own is None or status != "subscribed" or own.changed_at < last[1])
        )
        if status == "unsubscribed" or number in out_numbers or stopped:
            found[record_id] = "opted_out"
        elif needs_opt_in and status != "subscribed":
            found[record_id] = "no_consent"
    return found


def refusal_text(reason: str) -> str:
    return REFUSAL_WORDS.get(reason, reason)


def record_consent(
    session: Session,
    people: list[tuple[str, uuid.UUID]],
    number: str | None,
    status: str,
    source: str,
) -> None:
    """Set the SMS consent of these records (``subscribed`` / ``unsubscribed``) at
    ``number``: what an inbound keyword does (system), and what a user, a form or an import
    records. Every other record's row at the number follows (an opt-out follows the
    number)."""
    repo = SmsRepository(session)
    now = utcnow()
    rows = repo.consent_rows([i for _, i in people], [])
    current = {(r.record_type, r.record_id): r for r in rows}
    for record_type, record_id in people:
        row = current.get((record_type, record_id))
        if row is None:
            repo.add_subscription(
                EmailSubscription(
                    id=uuid.uuid4(),
                    record_type=record_type,
                    record_id=record_id,
                    address=number,
                    type=SMS_CONSENT_TYPE,
                    status=status,
                    consent_at=now if status == "subscribed" else None,
                    consent_source=source,
                    changed_at=now,
                )
            )
            continue
        row.status = status
        row.address = number
        row.consent_source = source
        row.changed_at = now
        if status == "subscribed":
            row.consent_at = now
    if number is not None:
        for row in repo.consent_rows([], [number]):
            if (row.record_type, row.record_id) not in set(people) and row.status != status:
                row.status = status
                row.consent_source = source
                row.changed_at = now
    session.flush()


def _consent_record(
    session: Session, actor: Actor, record_type: str, record_id: uuid.UUID, action: str
) -> Any:
    if record_type not in SENDABLE_FROM:
        raise ValidationFailed("SMS consent belongs to contacts and leads", field="record_type")
    repo = REPOSITORIES[record_type](session)
    if action == "read":
        return repo.get(actor, record_id)
    return repo.get_for(actor, record_id, action)


def get_consent(
    session: Session, actor: Actor, record_type: str, record_id: uuid.UUID
) -> SmsConsent:
    """A contact's or lead's SMS consent (whoever reads the record)."""
    record = _consent_record(session, actor, record_type, record_id, "read")
    number = number_of(record)
    rows = SmsRepository(session).consent_rows([record.id], [number] if number else [])
    own = next((r for r in rows if (r.record_type, r.record_id) == (record_type, record.id)), None)
    return SmsConsent(
        record_type=record_type,
        record_id=record.id,
        number=number,
        status=own.status if own is not None else "unknown",
        opted_out_at_number=any(
            r.status == "unsubscribed" and r.address == number and r is not own for r in rows
        ),
        consent_at=own.consent_at if own is not None else None,
        consent_source=own.consent_source if own is not None else None,
        changed_at=own.changed_at if own is not None else None,
    )


def set_consent(
    session: Session,
    actor: Actor,
    record_type: str,
    record_id: uuid.UUID,
    data: SmsConsentIn,
) -> SmsConsent:
    """A user (a form, an import) records a contact's or lead's SMS consent: whoever may
    change the record. An opt-out follows the record's number; ``sms.opted_out`` /
    ``sms.opted_in`` are published on the record."""
    record = _consent_record(session, actor, record_type, record_id, "write")
    number = number_of(record)
    record_consent(session, [(record_type, record.id)], number, data.status, data.source)
    event = OPTED_OUT if data.status == "unsubscribed" else OPTED_IN
    publish(
        session,
        actor,
        event.name,
        record_type=record_type,
        record_id=record.id,
        payload=SmsConsentPayload(
            name=f"SMS {'opt-out' if data.status == 'unsubscribed' else 'opt-in'} ({data.source})",
            number=number,
            keyword=None,
            source=data.source,
            related_type=record_type,
            related_id=str(record.id),
        ),
    )
    return get_consent(session, actor, record_type, record.id)


# ---- sending ------------------------------------------------------------------------------


def _check_body(body: str) -> str | None:
    """Why ``body`` cannot be sent (None: it can)."""
    if not body or not body.strip():
        return "a message needs a body"
    if len(body) > MAX_BODY:
        return f"{len(body)} characters; at most {MAX_BODY} per message"
    return None


def _payload(m: SmsMessage) -> SmsPayload:
    return SmsPayload(
        name=m.body[:80],
        direction=m.direction,
        state=m.state,
        to=m.to_number,
        related_type=m.related_type,
        related_id=str(m.related_id) if m.related_id else None,
        error=m.error,
    )


def _row_payload(row: dict[str, Any]) -> SmsPayload:
    return SmsPayload(
        name=str(row["body"])[:80],
        direction="out",
        state=str(row["state"]),
        to=str(row["to_number"]),
        related_type=row["related_type"],
        related_id=str(row["related_id"]),
    )


def send(session: Session, actor: Actor, data: SmsSend) -> SmsMessage:
    """Queue one text message to a lead or contact (see the module docstring). A record
    without a number is a 422 naming ``record_id``; a body that is empty or longer than 1,600
    characters a 422 naming ``body``; an opted-out person a ``refused`` row."""
    _require(actor, "sms:create", "send SMS")
    if data.record_type not in SENDABLE_FROM:
        raise ValidationFailed("SMS is sent to a lead or a contact", field="record_type")
    _check_key_scope(actor, data.record_type)
    problem = _check_body(data.body)
    if problem:
        raise ValidationFailed(problem, field="body")
    stored = _require_settings(session)
    repo = SmsRepository(session)
    if data.dedupe_key is not None:
        existing = repo.by_dedupe_keys([data.dedupe_key]).get(data.dedupe_key)
        if existing is not None:
            return existing
    record = REPOSITORIES[data.record_type](session).get(actor, data.record_id)
    number = number_of(record)
    if number is None:
        raise ValidationFailed(
            f"this {data.record_type} has no phone number to text", field="record_id"
        )
    reason = refusals(session, data.record_type, [(record.id, number)]).get(record.id)
    now = utcnow()
    message, inserted = repo.add_deduped(
        SmsMessage(
            id=uuid.uuid4(),
            direction="out",
            to_number=number,
            from_number=stored.get("from_number") or None,
            body=data.body,
            related_type=data.record_type,
            related_id=record.id,
            state="refused" if reason else "queued",
            provider=str(stored.get("provider", "log")),
            attempts=0,
            next_attempt_at=None if reason else now,
            error=f"{refusal_text(reason)} ({reason})" if reason else None,
            dedupe_key=data.dedupe_key,
            owner_id=actor.user_id,
            created_at=now,
            updated_at=now,
        )
    )
    if inserted and message.state == "queued":
        publish(
            session,
            actor,
            QUEUED.name,
            record_type="sms",
            record_id=message.id,
            payload=_payload(message),
        )
    return message


def send_many(
    session: Session,
    actor: Actor,
    record_type: str,
    items: list[tuple[uuid.UUID, str, str | None]],
) -> SmsBulkResult:
    """Queue one message to each of many leads or contacts: ``items`` are (record id, body,
    dedupe key). A few statements however many records (each chunk of 500: the records, the
    dedupe keys, consent; then one executemany and one batch of events). A record the actor
    cannot read, without a number, or with an empty or too long body is skipped with the
    reason; an opted-out one gets a ``refused`` row and is skipped; a dedupe key already used
    gives the message written under it (queued, or skipped when it was refused)."""
    _require(actor, "sms:create", "send SMS")
    if record_type not in SENDABLE_FROM:
        raise ValidationFailed("SMS is sent to leads or contacts", field="record_type")
    _check_key_scope(actor, record_type)
    stored = _require_settings(session)
    repo = SmsRepository(session)
    result = SmsBulkResult()
    if not items:
        return result
    records = repo.readable_records(actor, record_type, [i for i, _, _ in items])
    existing = repo.by_dedupe_keys([k for _, _, k in items if k])
    numbers = {rid: number_of(r) for rid, r in records.items()}
    blocked = refusals(
        session, record_type, [(rid, n) for rid, n in numbers.items() if n is not None]
    )
    now = utcnow()
    provider = str(stored.get("provider", "log"))
    from_number = stored.get("from_number") or None
    rows: list[dict[str, Any]] = []
    batch_keys: dict[str, dict[str, Any]] = {}
    for record_id, body, key in items:
        if key is not None and key in existing:
            old = existing[key]
            if old.state == "refused":
                result.skipped.append((record_id, old.error or "refused"))
            else:
                result.queued.append(old.id)
            continue
        if key is not None and key in batch_keys:
            earlier = batch_keys[key]
            if earlier["state"] == "refused":
                result.skipped.append((record_id, str(earlier["error"])))
            else:
                result.queued.append(earlier["id"])
            continue
        record = records.get(record_id)
        if record is None:
            result.skipped.append((record_id, "not found"))
            continue
        problem = _check_body(body)
        if problem:
            result.skipped.append((record_id, problem))
            continue
        number = numbers.get(record_id)
        if number is None:
            result.skipped.append((record_id, "no phone number"))
            continue
        reason = blocked.get(record_id)
        error = f"{refusal_text(reason)} ({reason})" if reason else None
        row = {
            "id": uuid.uuid4(),
            "direction": "out",
            "to_number": number,
            "from_number": from_number,
            "body": body,
            "related_type": record_type,
            "related_id": record.id,
            "state": "refused" if reason else "queued",
            "provider": provider,
            "provider_message_id": None,
            "attempts": 0,
            "next_attempt_at": None if reason else now,
            "error": error,
            "keyword": None,
            "dedupe_key": key,
            "sent_at": None,
            "received_at": None,
            "owner_id": actor.user_id,
            "created_at": now,
            "updated_at": now,
        }
        rows.append(row)
        if key is not None:
            batch_keys[key] = row
        if reason:
            result.skipped.append((record_id, str(error)))
        else:
            result.queued.append(row["id"])
    if rows:
        repo.insert_many(rows)
        queued = [r for r in rows if r["state"] == "queued"]
        publish_batch(
            session, actor, QUEUED.name, [("sms", r["id"], _row_payload(r)) for r in queued]
        )
    return result


def on_queued(session: Session, outbox: OutboxMessage) -> None:
    """Outbox handler for ``sms.queued`` (after commit): queue the delivery job."""
    if outbox.event == QUEUED.name and outbox.record_id is not None:
        enqueue_batched_after_commit(
            session, DELIVER_JOB, str(outbox.record_id), batch=DELIVER_BATCH
        )


# ---- reading ------------------------------------------------------------------------------


def list_sms(
    session: Session,
    actor: Actor,
    *,
    state: str | None = None,
    direction: str | None = None,
    record_type: str | None = None,
    record_id: uuid.UUID | None = None,
    limit: int = 50,
) -> list[SmsMessage]:
    _require(actor, "sms:read", "read SMS")
    return SmsRepository(session).page(
        actor,
        state=state,
        direction=direction,
        record_type=record_type,
        record_id=record_id,
        limit=limit,
    )


def get_sms(session: Session, actor: Actor, message_id: uuid.UUID) -> SmsMessage:
    _require(actor, "sms:read", "read SMS")
    return SmsRepository(session).get(actor, message_id)


def to_out(m: SmsMessage) -> SmsOut:
    return SmsOut(
        id=m.id,
        direction="in" if m.direction == "in" else "out",
        to_number=m.to_number,
        from_number=m.from_number,
        body=m.body,
        record_type=m.related_type if m.related_type in SENDABLE_FROM else None,
        record_id=m.related_id,
        state=m.state,
        provider=m.provider,
        provider_message_id=m.provider_message_id,
        attempts=m.attempts,
        next_attempt_at=m.next_attempt_at,
        error=m.error,
        keyword=m.keyword,
        dedupe_key=m.dedupe_key,
        owner_id=m.owner_id,
        created_at=m.created_at,
        sent_at=m.sent_at,
        received_at=m.received_at,
    )
