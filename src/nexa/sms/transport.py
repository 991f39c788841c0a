"""The SMS providers: ``log`` (records only: the message counts as sent), a Twilio-compatible
REST API (``POST {base_url}/2010-04-01/Accounts/{sid}/Messages.json``, form-encoded ``To``,
``From``, ``Body``, HTTP Basic with the account SID and auth token) and a generic HTTP
endpoint (``POST {url}`` with the JSON ``{"to", "from", "body"}`` and an optional secret
header). Every call goes through the outbound guard (nexa.core.outbound): a URL that resolves
to a private, loopback or metadata address is refused unless its host is allow-listed.

``send`` answers a ``Result``: ``sent`` (2xx; the provider's message id when the answer has
one), ``retry`` (no answer, a 5xx, 408 or 429) or ``failed`` (any other refusal)."""

from __future__ import annotations

import base64
import json
import uuid
from dataclasses import dataclass
from typing import Literal
from urllib.parse import quote, urlencode

from nexa.core import outbound

Outcome = Literal["sent", "retry", "failed"]
RETRYABLE_STATUS = frozenset({408, 425, 429})


@dataclass(frozen=True)
class ProviderConfig:
    provider: str
    from_number: str
    account_sid: str = ""
    auth_token: str = ""
    base_url: str = ""
    http_url: str = ""
    http_header: str = "Authorization"
    http_secret: str = ""
    allowed_hosts: tuple[str, ...] = ()

    def url(self) -> str:
        if self.provider == "twilio":
            root = self.base_url.rstrip("/")
            return f"{root}/2010-04-01/Accounts/{quote(self.account_sid, safe='')}/Messages.json"
        return self.http_url


@dataclass(frozen=True)
class Outgoing:
    id: uuid.UUID
    to: str
    body: str
    attempts: int


@dataclass(frozen=True)
class Result:
    outcome: Outcome
    provider_message_id: str | None = None
    detail: str | None = None


def _request(config: ProviderConfig, item: Outgoing) -> tuple[dict[str, str], bytes]:
    if config.provider == "twilio":
        credentials = f"{config.account_sid}:{config.auth_token}".encode()
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Authorization": "Basic " + base64.b64encode(credentials).decode("ascii"),
            "Accept": "application/json",
        }
        form = {"To": item.to, "From": config.from_number, "Body": item.body}
        return headers, urlencode(form).encode()
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if config.http_secret:
        headers[config.http_header] = config.http_secret
    headers["Idempotency-Key"] = str(item.id)
    payload = {"to": item.to, "from": config.from_number, "body": item.body}
    return headers, json.dumps(payload).encode()


def _message_id(body: bytes) -> str | None:
    try:
        data = json.loads(body.decode() or "null")
    except (UnicodeDecodeError, ValueError):
        return None
    if isinstance(data, dict):
        for key in ("sid", "id", "message_id"):
            value = data.get(key)
            if isinstance(value, str | int) and str(value):
                return str(value)[:200]
    return None


def send(config: ProviderConfig, item: Outgoing) -> Result:
    """One attempt to hand ``item`` to the provider (no transaction open)."""
    if config.provider == "log":
        return Result("sent", f"log-{item.id.hex}", "recorded by the log provider")
    headers, content = _request(config, item)
    try:
        response = outbound.send(
            "POST",
            config.url(),
            headers=headers,
            content=content,
            allowed_hosts=config.allowed_hosts,
            max_redirects=0,
        )
    except outbound.OutboundRefused as exc:
        return Result("failed", None, f"refused by the outbound guard: {exc.detail}")
    except outbound.OutboundFailed as exc:
        return Result("retry", None, f"no answer from the provider: {exc}")
    status = response.status_code
    excerpt = response.body[:300].decode("utf-8", "replace")
    if 200 <= status < 300:
        return Result("sent", _message_id(response.body))
    detail = f"HTTP {status}: {excerpt}".strip()
    if status >= 500 or status in RETRYABLE_STATUS:
        return Result("retry", None, detail)
    return Result("failed", None, detail)
