"""Webhooks (issue 6): endpoints admins register, deliveries through the outbox, signed with
the Standard Webhooks scheme, retried with exponential backoff for about a day, then dead.

* Fan-out: an outbox handler (every event, after commit) writes one ``webhook_deliveries`` row
  per active endpoint whose filter matches — unique (endpoint, event), so running it twice
  changes nothing — and queues ``webhook.deliver`` for them. Nothing runs on the request path
  of ordinary record changes (the outbox row is written there already).
* Delivery: ``claim`` (a compare-and-set in a short transaction: of two workers only one
  sends, and the lease makes a crashed attempt due again), ``transmit`` (no transaction
  open: the HTTP call through the SSRF guard ``nexa.core.outbound``) and ``record`` (the
  outcome, the next attempt or dead, an attempts row). ``deliver`` and ``deliver_due`` chain
  the three with an injectable clock, resolver and session factory.
* Signing: ``webhook-id`` (the delivery id, stable across retries), ``webhook-timestamp``
  (unix seconds) and ``webhook-signature: v1,<base64 HMAC-SHA256(secret, "id.ts.body")>``;
  ``verify_signature`` checks one.
"""

from __future__ import annotations

import base64
import fnmatch
import hashlib
import hmac
import json
import secrets
import uuid
from collections.abc import Callable, Iterable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from nexa.core.actor import Actor
from nexa.core.db import session_scope, utcnow
from nexa.core.errors import NotFound, PermissionDenied, ValidationFailed
from nexa.core.events import REGISTRY, OutboxMessage, enqueue_after_commit, payload_schema
from nexa.core.outbound import (
    OutboundFailed,
    OutboundRefused,
    Resolver,
    check_url,
    normalise_host,
    send,
)
from nexa.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from nexa.webhook.events import PING, WebhookPing
from nexa.webhook.repository import WebhookRepository
from nexa.webhook.schemas import (
    Webhook,
    WebhookCreate,
    WebhookEventType,
    WebhookSettings,
    WebhookUpdate,
)
from nexa.webhook.schemas import WebhookDelivery as DeliveryOut

__all__ = [
    "BACKOFF",
    "MAX_ATTEMPTS",
    "PING",
    "claim",
    "create_endpoint",
    "delete_endpoint",
    "deliver",
    "deliver_due",
    "event_types",
    "fan_out",
    "generate_secret",
    "get_endpoint",
    "get_settings",
    "list_deliveries",
    "list_endpoints",
    "ping",
    "put_settings",
    "record",
    "redeliver",
    "rotate_secret",
    "sign",
    "to_delivery",
    "to_webhook",
    "transmit",
    "update_endpoint",
    "verify_signature",
]

DELIVER_JOB = "webhook.deliver"
# The wait after the 1st, 2nd … failed attempt: about 27 hours in all, then the delivery is dead.
BACKOFF = (
    timedelta(seconds=5),
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=10),
)
MAX_ATTEMPTS = len(BACKOFF) + 1
LEASE = timedelta(minutes=2)  # longer than one attempt with its redirects can take
SIGNATURE_TOLERANCE = 300
USER_AGENT = "Nexa-Webhooks/1.0"
MAX_ERROR = 1000

Sessions = Callable[[], AbstractContextManager[Session]]


# ---- signatures ---------------------------------------------------------------------------


def generate_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def _secret_bytes(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix("whsec_"))


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """``v1,<base64 HMAC-SHA256>`` over ``"{id}.{timestamp}.{body}"``."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(_secret_bytes(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def verify_signature(
    secret: str,
    headers: Mapping[str, str],
    body: bytes | str,
    *,
    tolerance_seconds: int | None = SIGNATURE_TOLERANCE,
    now: float | None = None,
) -> bool:
    """Whether ``headers`` (``webhook-id``, ``webhook-timestamp``, ``webhook-signature``,
    any case) sign ``body`` with ``secret``; with ``tolerance_seconds`` the timestamp must be
    that close to ``now`` (default: the clock). Any of the space-separated signatures may match
    (there are several while a secret is being rotated)."""
    lowered = {k.lower(): v for k, v in headers.items()}
    message_id = lowered.get("webhook-id")
    timestamp = lowered.get("webhook-timestamp")
    signatures = lowered.get("webhook-signature")
    if not message_id or not timestamp or not signatures:
        return False
    try:
        ts = int(timestamp)
    except ValueError:
        return False
    if tolerance_seconds is not None:
        current = now if now is not None else utcnow().timestamp()
        if abs(current - ts) > tolerance_seconds:
            return False
    raw = body.encode() if isinstance(body, str) else body
    try:
        expected = sign(secret, message_id, ts, raw).split(",", 1)[1]
    except (ValueError, TypeError):
        return False
    for candidate in signatures.split():
        version, _, value = candidate.partition(",")
        if version == "v1" and hmac.compare_digest(value, expected):
            return True
    return False


# ---- checks ---------------------------------------------------------------------------------


def _require(actor: Actor, permission: str) -> None:
    if not actor.can(permission):
        raise PermissionDenied("only admins manage webhooks")


def event_types() -> list[WebhookEventType]:
    return [
        WebhookEventType(
            name=e.name,
            description=e.description,
            permission=e.permission,
            payload=payload_schema(e.payload),
        )
        for e in sorted(REGISTRY.values(), key=lambda e: e.name)
    ]


def list_event_types(actor: Actor) -> list[WebhookEventType]:
    _require(actor, "webhook:read")
    return event_types()


def validate_events(events: Iterable[str]) -> list[str]:
    """Names of declared events or patterns matching at least one (``deal.*``, ``*``)."""
    names = sorted(REGISTRY)
    result: list[str] = []
    for i, raw in enumerate(events):
        item = raw.strip()
        if not item:
            raise ValidationFailed(f"events.{i} is empty", field="events")
        if any(c in item for c in "*?["):
            if not fnmatch.filter(names, item):
                raise ValidationFailed(f"{item!r} matches no event", field="events")
        elif item not in REGISTRY:
            raise ValidationFailed(
                f"{item!r} is not an event (see GET /api/v1/webhooks/events)", field="events"
            )
        if item not in result:
            result.append(item)
    if not result:
        raise ValidationFailed("name at least one event", field="events")
    return result


def matches(patterns: Iterable[str], event: str) -> bool:
    return any(fnmatch.fnmatchcase(event, p) for p in patterns)


def check_endpoint_url(session: Session, url: str, resolver: Resolver | None = None) -> str:
    """The URL, if this server may call it (a name that does not resolve now is accepted;
    delivery checks again). Refusal: 422 naming ``url``."""
    allowed = WebhookRepository(session).allowed_hosts()
    try:
        check_url(url, allowed_hosts=allowed, resolver=resolver, resolve=False)
    except OutboundFailed as exc:  # pragma: no cover - resolve=False does not raise it
        raise ValidationFailed(str(exc), field="url") from None
    return url.strip()


# ---- endpoints ----------------------------------------------------------------------------


def to_webhook(endpoint: WebhookEndpoint) -> Webhook:
    return Webhook.model_validate(endpoint)


def list_endpoints(session: Session, actor: Actor) -> list[WebhookEndpoint]:
    _require(actor, "webhook:read")
    return WebhookRepository(session).endpoints()


def get_endpoint(session: Session, actor: Actor, endpoint_id: uuid.UUID) -> WebhookEndpoint:
    _require(actor, "webhook:read")
    endpoint = WebhookRepository(session).endpoint(endpoint_id)
    if endpoint is None:
        raise NotFound("no webhook with this id")
    return endpoint


def create_endpoint(
    session: Session, actor: Actor, data: WebhookCreate, *, resolver: Resolver | None = None
) -> tuple[WebhookEndpoint, str]:
    """Register an endpoint; returns it and its secret (shown once)."""
    _require(actor, "webhook:create")
    url = check_endpoint_url(session, data.url, resolver)
    events = validate_events(data.events)
    secret = generate_secret()
    endpoint = WebhookEndpoint(
        id=uuid.uuid4(),
        url=url,
        description=data.description,
        events=events,
        secret=secret,
        active=data.active,
        created_by=actor.user_id,
    )
    return WebhookRepository(session).add_endpoint(endpoint), secret


def update_endpoint(
    session: Session,
    actor: Actor,
    endpoint_id: uuid.UUID,
    data: WebhookUpdate,
    *,
    resolver: Resolver | None = None,
) -> WebhookEndpoint:
    _require(actor, "webhook:write")
    endpoint = get_endpoint(session, actor, endpoint_id)
    given = data.model_fields_set
    if "url" in given:
        if data.url is None:
            raise ValidationFailed("a webhook needs a URL", field="url")
        endpoint.url = check_endpoint_url(session, data.url, resolver)
    if "events" in given:
        if data.events is None:
            raise ValidationFailed("name at least one event", field="events")
        endpoint.events = validate_events(data.events)
    if "description" in given:
        endpoint.description = data.description or ""
    if "active" in given:
        if data.active is None:
            raise ValidationFailed("active is true or false", field="active")
        endpoint.active = data.active
    endpoint.updated_at = utcnow()
    session.flush()
    return endpoint


def delete_endpoint(session: Session, actor: Actor, endpoint_id: uuid.UUID) -> None:
    _require(actor, "webhook:delete")
    endpoint = get_endpoint(session, actor, endpoint_id)
    WebhookRepository(session).delete_endpoint(endpoint)


def rotate_secret(session: Session, actor: Actor, endpoint_id: uuid.UUID) -> str:
    _require(actor, "webhook:write")
    endpoint = get_endpoint(session, actor, endpoint_id)
    endpoint.secret = generate_secret()
    endpoint.updated_at = utcnow()
    session.flush()
    return endpoint.secret


# ---- the allow-list -----------------------------------------------------------------------


def get_settings(session: Session, actor: Actor) -> WebhookSettings:
    _require(actor, "webhook:read")
    return WebhookSettings(allowed_hosts=WebhookRepository(session).allowed_hosts())


def _valid_host(entry: str) -> bool:
    if not entry or len(entry) > 253 or any(c in entry for c in "/@?#\\ \t"):
        return False
    return all(c.isalnum() or c in ".-_:[]" for c in entry)


def put_settings(session: Session, actor: Actor, data: WebhookSettings) -> WebhookSettings:
    """Replace the hosts that may be called although they are internal (admins)."""
    _require(actor, "webhook:write")
    hosts: list[str] = []
    for i, raw in enumerate(data.allowed_hosts):
        entry = raw.strip()
        if not _valid_host(entry):
            raise ValidationFailed(
                f"{raw!r} is not a host name or IP address (no scheme, port or path)",
                field=f"allowed_hosts.{i}",
            )
        host = normalise_host(entry)
        if host not in hosts:
            hosts.append(host)
    WebhookRepository(session).set_allowed_hosts(hosts)
    return WebhookSettings(allowed_hosts=hosts)


# ---- deliveries: fan-out, log, redelivery, ping -----------------------------------------


def to_delivery(delivery: WebhookDelivery) -> DeliveryOut:
    return DeliveryOut(
        id=delivery.id,
        webhook_id=delivery.endpoint_id,
        event_id=delivery.event_id,
        event_type=delivery.event_type,
        status=delivery.status,
        attempts=delivery.attempts,
        next_attempt_at=delivery.next_attempt_at,
        response_status=delivery.response_status,
        last_error=delivery.last_error,
        duration_ms=delivery.duration_ms,
        created_at=delivery.created_at,
        delivered_at=delivery.delivered_at,
    )


def message_body(event: str, occurred_at: datetime, data: dict[str, Any]) -> dict[str, Any]:
    return {"type": event, "timestamp": occurred_at.isoformat(), "data": data}


def fan_out(session: Session, message: OutboxMessage) -> list[uuid.UUID]:
    """Outbox handler (every event, after commit): a delivery per matching active endpoint,
    then ``webhook.deliver`` for them after this job commits. Safe to run twice."""
    repo = WebhookRepository(session)
    endpoints = [e for e in repo.active_endpoints() if matches(e.events, message.event)]
    if not endpoints:
        return []
    payload = dict(message.payload or {})
    data = {
        **payload,
        "record_type": message.record_type,
        "record_id": str(message.record_id) if message.record_id else None,
        "actor": {
            "id": str(message.actor_id) if message.actor_id else None,
            "name": repo.user_name(message.actor_id) if message.actor_id else "Nexa",
        },
    }
    body = message_body(message.event, message.created_at, data)
    now = utcnow()
    repo.insert_deliveries(
        [
            {
                "id": uuid.uuid4(),
                "endpoint_id": e.id,
                "event_id": message.id,
                "event_type": message.event,
                "payload": body,
                "status": "pending",
                "attempts": 0,
                "next_attempt_at": message.created_at,  # due since the event happened
                "created_at": now,
            }
            for e in endpoints
        ]
    )
    ids = repo.delivery_ids_for_event(message.id)
    if ids:
        enqueue_after_commit(session, DELIVER_JOB, [str(i) for i in ids])
    return ids


def list_deliveries(
    session: Session,
    actor: Actor,
    endpoint_id: uuid.UUID,
    *,
    status: str | None = None,
    limit: int = 50,
) -> list[WebhookDelivery]:
    """The endpoint's delivery log, newest first."""
    get_endpoint(session, actor, endpoint_id)
    return WebhookRepository(session).deliveries_of(endpoint_id, status=status, limit=limit)


def get_delivery(
    session: Session, actor: Actor, endpoint_id: uuid.UUID, delivery_id: uuid.UUID
) -> WebhookDelivery:
    get_endpoint(session, actor, endpoint_id)
    delivery = WebhookRepository(session).delivery(delivery_id)
    if delivery is None or delivery.endpoint_id != endpoint_id:
        raise NotFound("no delivery with this id for this webhook")
    return delivery


def redeliver(
    session: Session,
    actor: Actor,
    endpoint_id: uuid.UUID,
    delivery_id: uuid.UUID,
    *,
    now: datetime | None = None,
) -> WebhookDelivery:
    """Queue a delivery again (same ``webhook-id``), whatever its status; its retry schedule
    starts over."""
    _require(actor, "webhook:write")
    delivery = get_delivery(session, actor, endpoint_id, delivery_id)
    delivery.status = "pending"
    delivery.attempts = 0
    delivery.next_attempt_at = now or utcnow()
    session.flush()
    enqueue_after_commit(session, DELIVER_JOB, [str(delivery.id)])
    return delivery


def ping(
    session: Session, actor: Actor, endpoint_id: uuid.UUID, *, now: datetime | None = None
) -> WebhookDelivery:
    """Send a ``webhook.ping`` message to one endpoint (whatever its filter)."""
    _require(actor, "webhook:write")
    endpoint = get_endpoint(session, actor, endpoint_id)
    when = now or utcnow()
    event_id = uuid.uuid4()
    data = {
        **WebhookPing(webhook_id=str(endpoint.id)).to_json(),
        "record_type": "webhook",
        "record_id": str(endpoint.id),
        "actor": {"id": str(actor.user_id) if actor.user_id else None, "name": actor.display_name},
    }
    delivery = WebhookDelivery(
        id=uuid.uuid4(),
        endpoint_id=endpoint.id,
        event_id=event_id,
        event_type=PING.name,
        payload=message_body(PING.name, when, data),
        status="pending",
        attempts=0,
        next_attempt_at=when,
        created_at=when,
    )
    WebhookRepository(session).add_delivery(delivery)
    enqueue_after_commit(session, DELIVER_JOB, [str(delivery.id)])
    return delivery


# ---- sending ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outgoing:
    """A claimed delivery: everything one attempt needs, read in the claiming transaction."""

    delivery_id: uuid.UUID
    url: str
    secret: str
    payload: dict[str, Any]
    allowed_hosts: tuple[str, ...]
    attempt: int


@dataclass(frozen=True)
class Outcome:
    delivery_id: uuid.UUID
    response_status: int | None
    error: str | None
    duration_ms: float | None

    @property
    def succeeded(self) -> bool:
        return self.response_status is not None and 200 <= self.response_status < 300


def claim(session: Session, delivery_id: uuid.UUID, now: datetime) -> Outgoing | None:
    """Take a due delivery for one attempt (None: not due, taken by another worker, done,
    or its endpoint is inactive or gone)."""
    repo = WebhookRepository(session)
    if not repo.claim(delivery_id, now, now + LEASE):
        return None
    delivery = session.get(WebhookDelivery, delivery_id, populate_existing=True)
    if delivery is None:  # pragma: no cover - claimed a moment ago in this transaction
        return None
    endpoint = repo.endpoint(delivery.endpoint_id)
    if endpoint is None:  # pragma: no cover - the foreign key cascades
        return None
    return Outgoing(
        delivery.id,
        endpoint.url,
        endpoint.secret,
        dict(delivery.payload),
        tuple(repo.allowed_hosts()),
        delivery.attempts,
    )


def signed_request(outgoing: Outgoing, now: datetime) -> tuple[dict[str, str], bytes]:
    body = json.dumps(outgoing.payload, separators=(",", ":"), ensure_ascii=False).encode()
    timestamp = int(now.timestamp())
    message_id = str(outgoing.delivery_id)
    headers = {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(outgoing.secret, message_id, timestamp, body),
    }
    return headers, body


def transmit(outgoing: Outgoing, now: datetime, *, resolver: Resolver | None = None) -> Outcome:
    """One signed POST through the SSRF guard (no database work: no transaction is open)."""
    headers, body = signed_request(outgoing, now)
    try:
        response = send(
            "POST",
            outgoing.url,
            headers=headers,
            content=body,
            allowed_hosts=outgoing.allowed_hosts,
            resolver=resolver,
        )
    except OutboundRefused as exc:
        return Outcome(outgoing.delivery_id, None, f"refused: {exc.detail}"[:MAX_ERROR], None)
    except OutboundFailed as exc:
        return Outcome(outgoing.delivery_id, None, str(exc)[:MAX_ERROR], None)
    error = None
    if not 200 <= response.status_code < 300:
        snippet = response.body[:300].decode("utf-8", "replace")
        error = f"HTTP {response.status_code}: {snippet}"[:MAX_ERROR]
    return Outcome(
        outgoing.delivery_id, response.status_code, error, round(response.duration_ms, 1)
    )


def record(session: Session, outcome: Outcome, now: datetime) -> WebhookDelivery | None:
    """Store an attempt's outcome: succeeded, or the next attempt by the backoff, or dead."""
    delivery = session.get(WebhookDelivery, outcome.delivery_id, populate_existing=True)
    if delivery is None:  # the endpoint was deleted meanwhile
        return None
    delivery.response_status = outcome.response_status
    delivery.duration_ms = outcome.duration_ms
    if outcome.succeeded:
        delivery.status = "succeeded"
        delivery.delivered_at = now
        delivery.next_attempt_at = None
        delivery.last_error = None
    else:
        delivery.last_error = outcome.error
        if delivery.attempts >= MAX_ATTEMPTS:
            delivery.status = "dead"
            delivery.next_attempt_at = None
        else:
            delivery.status = "failed"
            delivery.next_attempt_at = now + BACKOFF[max(delivery.attempts, 1) - 1]
    WebhookRepository(session).add_attempt(
        WebhookAttempt(
            id=uuid.uuid4(),
            delivery_id=delivery.id,
            attempted_at=now,
            response_status=outcome.response_status,
            error=outcome.error,
            duration_ms=outcome.duration_ms,
        )
    )
    return delivery


def deliver(
    delivery_id: uuid.UUID,
    *,
    now: datetime | None = None,
    resolver: Resolver | None = None,
    sessions: Sessions = session_scope,
) -> str | None:
    """One attempt of a delivery if it is due: claim (one transaction), send (none), record
    (another). Returns the new status, or None when there was nothing to do."""
    when = now or utcnow()
    with sessions() as session:
        outgoing = claim(session, delivery_id, when)
    if outgoing is None:
        return None
    outcome = transmit(outgoing, when, resolver=resolver)
    with sessions() as session:
        delivery = record(session, outcome, when)
        return delivery.status if delivery is not None else None


def deliver_due(
    *,
    now: datetime | None = None,
    resolver: Resolver | None = None,
    sessions: Sessions = session_scope,
    limit: int = 200,
) -> int:
    """The periodic sweep: one attempt of every due pending/failed delivery. Returns how
    many attempts were made."""
    when = now or utcnow()
    with sessions() as session:
        ids = WebhookRepository(session).due_delivery_ids(when, limit)
    made = 0
    for delivery_id in ids:
        if deliver(delivery_id, now=when, resolver=resolver, sessions=sessions) is not None:
            made += 1
    return made
