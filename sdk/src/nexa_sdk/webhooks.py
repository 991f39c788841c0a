"""Verify a webhook delivery from Nexa (the Standard Webhooks scheme).

    from nexa_sdk import verify_webhook, WebhookVerificationError

    @app.post("/hooks/nexa")
    async def receive(request: Request):
        body = await request.body()
        try:
            event = verify_webhook(SECRET, request.headers, body)
        except WebhookVerificationError:
            return Response(status_code=400)
        ...

The secret is ``whsec_<base64 key>`` (shown once when the webhook is created or its secret is
rotated). Each delivery carries ``webhook-id``, ``webhook-timestamp`` (Unix seconds) and
``webhook-signature``: space-separated ``v1,<base64 HMAC-SHA256(key, "{id}.{timestamp}.{body}")>``
(several while a rotated secret overlaps). Deliveries older or newer than ``tolerance``
seconds (default 5 minutes) are refused, so a captured request cannot be replayed later.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from typing import Any

from nexa_sdk.errors import NexaError

SECRET_PREFIX = "whsec_"  # noqa: S105 (a prefix, not a secret)
DEFAULT_TOLERANCE = 5 * 60


class WebhookVerificationError(NexaError):
    """The delivery is not signed with the secret, or is too old or too new."""


def _key(secret: str) -> bytes:
    raw = secret.removeprefix(SECRET_PREFIX)
    try:
        return base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        raise WebhookVerificationError("the webhook secret is not whsec_<base64>") from None


def _header(headers: Mapping[str, str], name: str) -> str:
    lowered = {k.lower(): v for k, v in headers.items()}
    value = lowered.get(name)
    if not value:
        raise WebhookVerificationError(f"the {name} header is missing")
    return value


def sign_webhook(secret: str, msg_id: str, timestamp: int, body: bytes | str) -> str:
    """The ``v1,<signature>`` of a delivery (what the server sends; useful in tests)."""
    payload = body.encode() if isinstance(body, str) else body
    signed = f"{msg_id}.{timestamp}.".encode() + payload
    digest = hmac.new(_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def verify_webhook(
    secret: str,
    headers: Mapping[str, str],
    body: bytes | str,
    *,
    tolerance: int = DEFAULT_TOLERANCE,
    now: float | None = None,
) -> Any:
    """Check the delivery's signature and time; return its JSON payload."""
    msg_id = _header(headers, "webhook-id")
    raw_timestamp = _header(headers, "webhook-timestamp")
    signatures = _header(headers, "webhook-signature")
    try:
        timestamp = int(raw_timestamp)
    except ValueError:
        raise WebhookVerificationError("webhook-timestamp is not a Unix time") from None
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance:
        raise WebhookVerificationError("the delivery's timestamp is outside the tolerance")
    expected = sign_webhook(secret, msg_id, timestamp, body).split(",", 1)[1]
    for candidate in signatures.split():
        version, _, signature = candidate.partition(",")
        if version == "v1" and hmac.compare_digest(signature, expected):
            break
    else:
        raise WebhookVerificationError("no signature matches the secret")
    text = body.decode() if isinstance(body, bytes) else body
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        raise WebhookVerificationError("the delivery's body is not JSON") from None


__all__ = ["WebhookVerificationError", "sign_webhook", "verify_webhook"]
