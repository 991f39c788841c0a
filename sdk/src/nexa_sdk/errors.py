"""Exceptions of the SDK. An API error carries the problem+json (RFC 9457) fields the server
sent: ``status``, ``type``, ``title``, ``detail``, ``instance``, ``errors`` (``field`` and
``message`` each) and ``field`` (the first error's field).

    NexaError
    ├── APIError                      any 4xx/5xx answer
    │   ├── BadRequest                400
    │   ├── AuthenticationError       401
    │   ├── PermissionDenied          403
    │   ├── NotFound                  404
    │   ├── Conflict                  409
    │   │   └── PreconditionFailed    412 (If-Match: someone changed the record)
    │   ├── ValidationError           422
    │   ├── Locked                    423
    │   ├── RateLimited               429 (retry_after)
    │   └── ServerError               5xx
    └── ConnectionError               no answer (also a builtins.ConnectionError)
        └── TimeoutError              no answer in time (also a builtins.TimeoutError)
"""

from __future__ import annotations

import builtins
import json
from typing import Any

import httpx


class NexaError(Exception):
    """Base of every error the SDK raises."""


class APIError(NexaError):
    """The server answered with an error status; the problem+json fields are attributes."""

    status: int
    type: str
    title: str
    detail: str
    instance: str | None
    errors: list[dict[str, Any]]
    field: str | None
    body: dict[str, Any]
    headers: httpx.Headers
    method: str
    url: str

    def __init__(
        self,
        status: int,
        body: dict[str, Any],
        *,
        headers: httpx.Headers | None = None,
        method: str = "",
        url: str = "",
    ) -> None:
        self.status = status
        self.body = body
        self.type = str(body.get("type") or "about:blank")
        self.title = str(body.get("title") or httpx.codes.get_reason_phrase(status) or "Error")
        self.detail = str(body.get("detail") or "")
        self.instance = body.get("instance")
        raw_errors = body.get("errors")
        self.errors = [e for e in raw_errors if isinstance(e, dict)] if raw_errors else []
        self.field = next((str(e["field"]) for e in self.errors if e.get("field")), None)
        self.headers = headers or httpx.Headers()
        self.method = method
        self.url = url
        super().__init__(str(self))

    def __str__(self) -> str:
        where = f" ({self.method} {self.url})" if self.method else ""
        detail = f": {self.detail}" if self.detail else ""
        return f"{self.status} {self.title}{detail}{where}"

    @classmethod
    def from_response(cls, response: httpx.Response) -> APIError:
        try:
            parsed = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            parsed = None
        if not isinstance(parsed, dict):
            parsed = {"detail": response.text[:500]} if response.text else {}
        status = response.status_code
        kind: type[APIError] = STATUS_ERRORS.get(status) or (
            ServerError if status >= 500 else APIError
        )
        return kind(
            status,
            parsed,
            headers=response.headers,
            method=response.request.method,
            url=str(response.request.url),
        )


class BadRequest(APIError):
    """400: the request could not be understood."""


class AuthenticationError(APIError):
    """401: no credentials, or the API key is not valid (any more)."""


class PermissionDenied(APIError):
    """403: the API key's user may not do this."""


class NotFound(APIError):
    """404: no such record, or one the API key's user may not read."""


class Conflict(APIError):
    """409: the change conflicts with the current state (a duplicate, a used key)."""


class PreconditionFailed(Conflict):
    """412: the record changed since you read it (If-Match); read it again and retry."""


class ValidationError(APIError):
    """422: the input is not valid; ``field`` and ``errors`` name what and why."""


class Locked(APIError):
    """423: the record or the user is locked."""


class RateLimited(APIError):
    """429: too many requests; ``retry_after`` is the wait the server asked for (seconds)."""

    @property
    def retry_after(self) -> float | None:
        return parse_retry_after(self.headers.get("Retry-After"))


class ServerError(APIError):
    """5xx: the server failed; retried automatically where that is safe."""


class ConnectionError(NexaError, builtins.ConnectionError):
    """The server could not be reached, or the connection broke before an answer."""


class TimeoutError(ConnectionError, builtins.TimeoutError):
    """No answer within the client's timeout."""


STATUS_ERRORS: dict[int, type[APIError]] = {
    400: BadRequest,
    401: AuthenticationError,
    403: PermissionDenied,
    404: NotFound,
    409: Conflict,
    412: PreconditionFailed,
    422: ValidationError,
    423: Locked,
    429: RateLimited,
}


def parse_retry_after(value: str | None) -> float | None:
    """``Retry-After`` as seconds: a number, or an HTTP date (RFC 9110)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    from datetime import UTC, datetime
    from email.utils import parsedate_to_datetime

    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


__all__ = [
    "APIError",
    "AuthenticationError",
    "BadRequest",
    "Conflict",
    "ConnectionError",
    "Locked",
    "NexaError",
    "NotFound",
    "PermissionDenied",
    "PreconditionFailed",
    "RateLimited",
    "ServerError",
    "TimeoutError",
    "ValidationError",
    "parse_retry_after",
]
