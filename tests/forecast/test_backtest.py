"""The backtest replays past periods from stage history."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from nexa.forecast import service
from tests.forecast.history import NOW, make_history_deal, synthetic_history


def test_backtest_on_a_small_history(db: Any) -> None:
    # Q3 2026 (Jul–Sep): two deals open on July 1st closing in the quarter, one of them won
    start = NOW.replace(month=6, day=10)
    won = make_history_deal(
        db,
        path=[("proposal", start), ("closed_won", start + timedelta(days=40))],
        amount=Decimal("8000"),
        close_date=(start + timedelta(days=45)).date(),
    )
    make_history_deal(
        db,
        path=[("negotiation", start), ("closed_lost", start + timedelta(days=50))],
        amount=Decimal("2000"),
        close_date=(start + timedelta(days=45)).date(),
    )
    result = service.backtest(db, 2, now=NOW)
    q2, q3 = result["periods"]
    assert q2["period"] == "2026-Q2" and q3["period"] == "2026-Q3"
    assert q3["open_deals"] == 2 and q3["actual"] == 8000.0
    assert q3["predictor"] == service.COLD_START  # too few closed deals before July
    # cold start: stage probabilities (proposal 50 %, negotiation 75 %), silence lowers them
    assert 0 < q3["forecast"] <= 8000 * 0.5 + 2000 * 0.75
    assert q3["baseline_forecast"] == 8000 * 0.5 + 2000 * 0.75
    assert q3["abs_error"] == abs(q3["forecast"] - 8000.0)
    assert q3["p10"] <= q3["p90"] <= 10000
    assert result["mape"] is not None and won.stage_kind == "won"


def test_backtest_trains_per_period_when_history_allows(db: Any) -> None:
    synthetic_history(db, 80)
    result = service.backtest(db, 2, unit="month", now=NOW)
    rows = result["periods"]
    assert [r["period"] for r in rows] == ["2026-09", "2026-10"]
    assert all(r["training_closed_deals"] >= 40 for r in rows)
    assert all(r["predictor"] == "model" for r in rows if r["training_closed_deals"] >= 40)
    print(result)
