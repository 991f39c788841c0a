"""What the sync and the async client share: retry policy, headers, encoding and decoding."""

from __future__ import annotations

import logging
import random
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel

from nexa_sdk.errors import parse_retry_after

log = logging.getLogger("nexa_sdk")

API_PREFIX = "/api/v1"
DEFAULT_TIMEOUT = 30.0
USER_AGENT = "nexa-sdk-python/0.1.0"
# Methods a repeat cannot harm; POST and PATCH only with an Idempotency-Key.
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})

M = TypeVar("M", bound=BaseModel)
ID = uuid.UUID | str | BaseModel  # an id, or a record carrying one


@dataclass(frozen=True)
class RetryPolicy:
    """Retries with exponential backoff and full jitter, honouring ``Retry-After``.

    Retried: answers with a status in ``statuses`` (429 and 503 by default) and connection
    errors and timeouts — only for GET, HEAD, OPTIONS, PUT and DELETE, and for POST/PATCH
    requests carrying an Idempotency-Key (creates get one automatically). ``max_retries=0``
    turns retries off.
    """

    max_retries: int = 3
    backoff: float = 0.5  # seconds; the n-th retry waits up to backoff * 2**(n-1)
    max_backoff: float = 8.0
    max_retry_after: float = 60.0  # a longer Retry-After is not waited for: the error is raised
    statuses: frozenset[int] = field(default_factory=lambda: frozenset({429, 503}))

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait before retry number ``attempt`` (1-based)."""
        if retry_after is not None:
            return min(retry_after, self.max_retry_after)
        ceiling = min(self.max_backoff, self.backoff * (2 ** (attempt - 1)))
        return random.uniform(0, ceiling)  # jitter, not a secret


def may_retry(method: str, headers: Mapping[str, str]) -> bool:
    if method.upper() in IDEMPOTENT_METHODS:
        return True
    return any(k.lower() == "idempotency-key" for k in headers)


def retry_wait(policy: RetryPolicy, attempt: int, response: httpx.Response | None) -> float | None:
    """The wait before retry ``attempt``, or None when the answer says not to wait that long."""
    retry_after = parse_retry_after(response.headers.get("Retry-After")) if response else None
    if retry_after is not None and retry_after > policy.max_retry_after:
        return None
    return policy.delay(attempt, retry_after)


def new_idempotency_key() -> str:
    return str(uuid.uuid4())


def base_headers(api_key: str, extra: Mapping[str, str] | None) -> dict[str, str]:
    headers = {
        "Authorization": f"Bearer {api_key}",
        "Accept": "application/json",
        "User-Agent": USER_AGENT,
    }
    headers.update(extra or {})
    return headers


def api_base(base_url: str) -> str:
    """``http://crm.example.com`` or ``…/api/v1`` → ``http://crm.example.com/api/v1``."""
    base = base_url.rstrip("/")
    return base if base.endswith(API_PREFIX) else base + API_PREFIX


def timeout_of(timeout: float | httpx.Timeout | None) -> httpx.Timeout:
    if isinstance(timeout, httpx.Timeout):
        return timeout
    return httpx.Timeout(timeout)


def id_of(record: ID) -> str:
    """The id of a record given as a UUID, a string or a model with an ``id``."""
    if isinstance(record, BaseModel):
        value = getattr(record, "id", None)
        if value is None:
            raise TypeError(f"a {type(record).__name__} has no id")
        return str(value)
    return str(record)


def etag(if_match: int | str | BaseModel | None, record: ID | None = None) -> str | None:
    """The If-Match header: an explicit version or ETag, else the version of a record passed
    as a model; ``"*"`` (or nothing) means no precondition."""
    if if_match is None and isinstance(record, BaseModel):
        if_match = getattr(record, "version", None)
    if isinstance(if_match, BaseModel):
        if_match = getattr(if_match, "version", None)
    if if_match is None:
        return None
    if isinstance(if_match, int):
        return f'"{if_match}"'
    return if_match


def body_of(
    model: type[BaseModel] | None,
    data: BaseModel | Mapping[str, Any] | None,
    fields: dict[str, Any],
) -> dict[str, Any]:
    """A request body checked against its input model (unknown fields fail here, before
    the request) and encoded as JSON types; only the fields given are sent."""
    if isinstance(data, BaseModel):
        if fields:
            data = {**data.model_dump(exclude_unset=True, by_alias=True), **fields}
        else:
            return data.model_dump(mode="json", exclude_unset=True, by_alias=True)
    merged = {**(data or {}), **fields}
    if model is None:
        return _jsonable(merged)
    checked = model.model_validate(merged)
    return checked.model_dump(mode="json", exclude_unset=True, by_alias=True)


def _jsonable(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", exclude_unset=True, by_alias=True)
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    if isinstance(value, uuid.UUID):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if type(value).__name__ == "Decimal":
        return str(value)
    return value


def query_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(_jsonable(value))


def jsonable(value: Any) -> Any:
    return _jsonable(value)


def parse(model: type[M], data: Any) -> M:
    return model.model_validate(data)


def parse_partial(model: type[M], data: Mapping[str, Any]) -> M:
    """A record fetched with ``fields=``: only those attributes are set (no validation)."""
    return model.model_construct(**data)


def list_params(
    filters: list[str],
    *,
    sort: str | None,
    cursor: str | None,
    limit: int | None,
    fields: Sequence[str] | str | None,
    deleted: bool = False,
    extra: Mapping[str, Any] | None = None,
) -> list[tuple[str, str]]:
    params: list[tuple[str, str]] = [("filter", f) for f in filters]
    if sort:
        params.append(("sort", sort))
    if cursor:
        params.append(("cursor", cursor))
    if limit is not None:
        params.append(("limit", str(limit)))
    if fields:
        params.append(("fields", fields if isinstance(fields, str) else ",".join(fields)))
    if deleted:
        params.append(("deleted", "true"))
    for key, value in (extra or {}).items():
        if value is not None:
            params.append((key, query_value(value)))
    return params
