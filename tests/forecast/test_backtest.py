"""The backtest replays past periods from stage history."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from nexa.forecast import backtest as bt
from nexa.forecast import service
from tests.forecast.history import NOW, make_history_deal, steady_history, synthetic_history


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
    result = bt.backtest(db, 2, now=NOW)
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
    result = bt.backtest(db, 2, unit="month", now=NOW)
    rows = result["periods"]
    assert [r["period"] for r in rows] == ["2026-09", "2026-10"]
    assert all(r["training_closed_deals"] >= 40 for r in rows)
    assert all(r["predictor"] == "model" for r in rows if r["training_closed_deals"] >= 40)
    print(result)


QUARTERS = [date(2025, 10, 1), date(2026, 1, 1), date(2026, 4, 1)]


def test_the_backtest_reports_both_baselines_and_the_coverage_of_the_band(db: Any) -> None:
    """Steady quarters: the last period's actual is exact, while the stage probabilities
    (and the cold start with them) forecast three times what is won and the band misses;
    in the last quarter two deals of four are won, inside the band."""
    steady_history(db, QUARTERS)
    steady_history(db, [date(2026, 7, 1)], won=2, lost=2)
    result = bt.backtest(db, 3, now=NOW)
    q1, q2, q3 = result["periods"]
    assert [r["period"] for r in (q1, q2, q3)] == ["2026-Q1", "2026-Q2", "2026-Q3"]
    for r in (q1, q2):
        assert r["open_deals"] == 4 and r["actual"] == 10000.0
        assert r["baseline_forecast"] == 4 * 10000 * 0.75 and r["baseline_ape"] == 2.0
        assert r["last_period_forecast"] == 10000.0 and r["last_period_ape"] == 0.0
        assert r["forecast"] > 2 * r["actual"] and not r["within_p10_p90"]
    assert q1["last_period_abs_error"] == 0.0  # Q4 2025, before the periods shown, counts
    assert q3["actual"] == 20000.0 and q3["within_p10_p90"]
    assert q3["baseline_ape"] == 0.5 and q3["last_period_ape"] == 0.5
    assert result["stage_mape"] == result["baseline_mape"] == 1.5
    assert result["last_period_mape"] == round(0.5 / 3, 4)
    assert result["mape"] > result["last_period_mape"]
    assert result["coverage_p10_p90"] == round(1 / 3, 4)
    assert result["winner"] == "last_period"


def test_a_recorded_backtest_names_the_winner_in_the_forecast(db: Any, users: Any) -> None:
    steady_history(db, QUARTERS)
    steady_history(db, [date(2026, 7, 1)], won=2, lost=2)
    first, last = date(2026, 10, 1), date(2026, 12, 31)
    assert service.predict_pipeline(db, users.admin.actor, first, last)["backtest"] is None
    bt.backtest(db, 3, now=NOW)  # not recorded unless asked
    assert service.latest_backtest(db) is None
    bt.backtest(db, 3, now=NOW, record=True)
    summary = service.predict_pipeline(db, users.rep.actor, first, last, now=NOW)["backtest"]
    assert summary["winner"] == "last_period" and summary["ran_at"] == NOW
    assert summary["stage_mape"] == 1.5 and summary["last_period_mape"] == round(0.5 / 3, 4)
    assert summary["coverage_p10_p90"] == round(1 / 3, 4)
    assert [p["period"] for p in summary["periods"]] == ["2026-Q1", "2026-Q2", "2026-Q3"]
    assert summary["periods"][2]["actual"] == Decimal("20000.00")


def test_the_forecast_shown_is_the_backtest_winner_with_a_band_from_its_residuals(
    db: Any, users: Any
) -> None:
    """Issue 16, point 3: the figure users see is the method that won the recorded backtest,
    and its P10–P90 band comes from that method's residuals — not the model's simulation."""
    from nexa.intelligence.forecast import residual_band
    from tests.factories.deal import make_deal

    steady_history(db, [date(2025, 7, 1), date(2025, 10, 1)], won=1, lost=3)
    steady_history(db, [date(2026, 1, 1)], won=2, lost=2)
    steady_history(db, [date(2026, 4, 1), date(2026, 7, 1)], won=1, lost=3)
    for _ in range(4):  # this quarter's open pipeline: 4 x 10,000 in negotiation (75 %)
        make_deal(
            db,
            users.rep.actor,
            stage="negotiation",
            amount=Decimal("10000"),
            close_date=date(2026, 12, 20),
        )
    first, last = date(2026, 10, 1), date(2026, 12, 31)
    before = service.predict_pipeline(db, users.admin.actor, first, last, now=NOW)
    assert before["method"] == "model" and before["band"] == "simulation"
    assert before["forecast"] == before["weighted_forecast"]
    result = bt.backtest(db, 4, now=NOW, record=True)
    winner = result["winner"]
    assert winner in ("stage", "last_period", "model")
    shown = service.predict_pipeline(db, users.admin.actor, first, last, now=NOW)
    figure = {
        "model": shown["weighted_forecast"],
        "stage": shown["stage_forecast"],
        "last_period": shown["last_period_forecast"],
    }
    assert shown["method"] == winner and shown["forecast"] == figure[winner]
    assert shown["stage_forecast"] == Decimal("30000.00")
    assert shown["last_period"] == "2026-Q3" and shown["last_period_forecast"] == Decimal(
        "10000.00"
    )
    ratios = result["calibration"][winner]["ratios"]
    band = residual_band(float(figure[winner]), ratios)
    assert band is not None and shown["band"] == "backtest" and shown["band_periods"] == 4
    assert shown["p10"] == round(Decimal(band.p10), 2) and shown["p90"] == round(
        Decimal(band.p90), 2
    )
    assert shown["band_coverage"] == result["calibration"][winner]["coverage"]
    print(winner, result["mape"], result["stage_mape"], result["last_period_mape"], ratios)
