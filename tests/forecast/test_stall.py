"""Issue 16: one stall rule on every page — no deal is stalled before max(7 days, the 75th
percentile of won deals' time in its stage), even when the organization's won deals went
through that stage in seconds (a migrated history)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from nexa.core.db import utcnow
from nexa.forecast import service
from tests.forecast.history import make_history_deal
from tests.web.conftest import sign_in


def _quick_wins(db: Any, now: Any) -> None:
    """Four won deals that spent 1–4 seconds in prospecting (p75 ≈ 3 seconds)."""
    for i in range(4):
        start = now - timedelta(days=30 + i)
        make_history_deal(
            db,
            path=[
                ("prospecting", start),
                ("qualification", start + timedelta(seconds=1 + i)),
                ("closed_won", start + timedelta(days=5)),
            ],
        )


def _stalled(client: Any, users: Any, deal_id: Any) -> dict[str, bool]:
    api = client.get(f"/api/v1/deals/{deal_id}", headers=users.admin.headers).json()
    page = client.get(f"/deals/{deal_id}").text
    board = client.get("/deals/board").text
    card = board.split(f'data-deal-id="{deal_id}"')[1].split("</article>")[0]
    panel = client.get(f"/deals/{deal_id}/prediction", headers={"HX-Request": "true"}).text
    return {
        "api": any(r["rule"] == "stalled" for r in api["risk_factors"]),
        "page": 'data-testid="deal-stalled"' in page,
        "board": "pill-stalled" in card,
        "panel": "Stalled:" in panel,
    }


def test_a_deal_a_minute_old_is_not_stalled_one_eight_days_old_is(
    client: Any, db: Any, users: Any
) -> None:
    now = utcnow()
    _quick_wins(db, now)
    fresh = make_history_deal(db, path=[("prospecting", now - timedelta(minutes=1))])
    old = make_history_deal(db, path=[("prospecting", now - timedelta(days=8))])
    six = make_history_deal(
        db, path=[("prospecting", now - timedelta(days=6))], amount=Decimal("500")
    )
    for deal in (fresh, old, six):
        service.refresh_deal(db, deal.id)
    db.commit()
    sign_in(client, users.admin)
    assert _stalled(client, users, fresh.id) == dict.fromkeys(
        ("api", "page", "board", "panel"), False
    )
    assert _stalled(client, users, six.id) == dict.fromkeys(
        ("api", "page", "board", "panel"), False
    )
    assert _stalled(client, users, old.id) == dict.fromkeys(("api", "page", "board", "panel"), True)
    risks = client.get(f"/api/v1/deals/{old.id}", headers=users.admin.headers).json()
    [label] = [r["label"] for r in risks["risk_factors"] if r["rule"] == "stalled"]
    assert label == "Stalled: 8 days in Prospecting (over 7, the 7-day minimum)"
