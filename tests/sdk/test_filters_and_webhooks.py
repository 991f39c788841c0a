"""The filter builder and keyword filters (the API's field:operator:value syntax), and
webhook signature verification (Standard Webhooks)."""

from __future__ import annotations

import base64
import json
import time
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from nexa_sdk import F, WebhookVerificationError, sign_webhook, verify_webhook
from nexa_sdk.filters import build, period_bounds

pytestmark = pytest.mark.sdk


def test_builder_expressions() -> None:
    some_id = uuid.UUID("12345678-1234-5678-1234-567812345678")
    assert build(
        F.stage.in_(["proposal", "negotiation"])
        & (F.amount >= 1000)
        & (F.amount < Decimal("5000.50"))
        & (F.owner_id == some_id)
        & (F.account_id == None)  # noqa: E711 (the builder's is_null)
        & (F.stage != "closed_lost")
        & F.name.contains("acme")
        & F.name.starts_with("Ac")
        & F.custom.region.not_in(["EMEA"])
        & (F["custom.vip"] == True),  # noqa: E712
        {},
    ) == [
        "stage:in:proposal,negotiation",
        "amount:gte:1000",
        "amount:lt:5000.50",
        f"owner_id:eq:{some_id}",
        "account_id:is_null:true",
        "stage:ne:closed_lost",
        "name:contains:acme",
        "name:starts_with:Ac",
        "custom.region:not_in:EMEA",
        "custom.vip:eq:true",
    ]


def test_or_groups_and_list_membership() -> None:
    list_id = uuid.UUID("12345678-1234-5678-1234-567812345678")
    either = (F.status == "new") | (F.company == "A|B\\C") | (F.score >= 60)
    assert build(either & (F.list == list_id), {}) == [
        "any(status:eq:new|company:eq:A\\|B\\\\C|score:gte:60)",
        f"list:eq:{list_id}",
    ]
    assert build([F.list.not_in([list_id]), (F.a == 1) | (F.b == 2)], {}) == [
        f"list:not_in:{list_id}",
        "any(a:eq:1|b:eq:2)",
    ]
    with pytest.raises(TypeError):
        (F.a == 1) | ((F.b == 1) & (F.c == 2))  # type: ignore[operator]


def test_keyword_filters() -> None:
    assert build(
        None,
        {
            "stage": ["proposal", "negotiation"],
            "amount__gte": 1000,
            "close_date_range": "2026-Q4",
            "owner_id": None,
            "created_at__lt": datetime(2026, 11, 30, 12, tzinfo=UTC),
            "status": "new",
        },
    ) == [
        "stage:in:proposal,negotiation",
        "amount:gte:1000",
        "close_date:gte:2026-10-01",
        "close_date:lte:2026-12-31",
        "owner_id:is_null:true",
        "created_at:lt:2026-11-30T12:00:00+00:00",
        "status:eq:new",
    ]
    assert build(["name:eq:raw"], {"close_date_range": (date(2026, 1, 1), None)}) == [
        "name:eq:raw",
        "close_date:gte:2026-01-01",
    ]


def test_periods() -> None:
    assert period_bounds("2026-Q1") == (date(2026, 1, 1), date(2026, 3, 31))
    assert period_bounds("2028-02") == (date(2028, 2, 1), date(2028, 2, 29))
    assert period_bounds("2026") == (date(2026, 1, 1), date(2026, 12, 31))
    with pytest.raises(ValueError, match="not a period"):
        period_bounds("Q4")


def test_bad_filters_fail_before_the_request() -> None:
    with pytest.raises(ValueError, match="not a filter operator"):
        build(None, {"amount__bigger": 3})
    with pytest.raises(ValueError, match="cannot contain a comma"):
        build(F.name.in_(["a,b"]), {})
    with pytest.raises(TypeError, match="list of values"):
        build(None, {"name__in": "abc"})


SECRET = "whsec_" + base64.b64encode(b"0123456789abcdef0123456789abcdef").decode()


def _delivery(body: bytes, *, at: int | None = None, secret: str = SECRET) -> dict[str, str]:
    msg_id = "msg_" + uuid.uuid4().hex
    timestamp = int(time.time()) if at is None else at
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign_webhook(secret, msg_id, timestamp, body),
    }


def test_verify_webhook_accepts_a_signed_delivery() -> None:
    body = json.dumps({"type": "deal.won", "data": {"id": "1"}}).encode()
    headers = _delivery(body)
    assert verify_webhook(SECRET, headers, body) == {"type": "deal.won", "data": {"id": "1"}}
    # header names are case-insensitive; several signatures (a rotation) are fine
    other = "whsec_" + base64.b64encode(b"another key, rotated away......").decode()
    headers["webhook-signature"] = (
        sign_webhook(other, headers["webhook-id"], int(headers["webhook-timestamp"]), body)
        + " "
        + headers["webhook-signature"]
    )
    assert verify_webhook(SECRET, {k.upper(): v for k, v in headers.items()}, body.decode())


def test_verify_webhook_refuses_tampering_replays_and_missing_headers() -> None:
    body = b'{"type": "deal.won"}'
    headers = _delivery(body)
    with pytest.raises(WebhookVerificationError, match="no signature"):
        verify_webhook(SECRET, headers, b'{"type": "deal.lost"}')
    other = "whsec_" + base64.b64encode(b"x" * 32).decode()
    with pytest.raises(WebhookVerificationError, match="no signature"):
        verify_webhook(other, headers, body)
    old = _delivery(body, at=int(time.time()) - 301)
    with pytest.raises(WebhookVerificationError, match="tolerance"):
        verify_webhook(SECRET, old, body)
    assert verify_webhook(SECRET, old, body, tolerance=600) == {"type": "deal.won"}
    for missing in ("webhook-id", "webhook-timestamp", "webhook-signature"):
        partial = {k: v for k, v in headers.items() if k != missing}
        with pytest.raises(WebhookVerificationError, match=missing):
            verify_webhook(SECRET, partial, body)
    with pytest.raises(WebhookVerificationError, match="whsec_"):
        verify_webhook("whsec_***", headers, body)
