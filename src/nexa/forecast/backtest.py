"""The forecast's backtest: past periods replayed from stage history (``nexa ai backtest
deals``, the weekly job), the model beside two baselines, and what the forecast learns from it.

At each past period's start: the deals open then (outcome unknown), features as of then, a
model trained only on deals closed before then (the cold start when there were too few); its
forecast of the closed-won revenue of those deals in the period, beside the stage probability
(Σ amount × the probability of each deal's stage then) and the last period (the previous
period's actual, measured the same way). Each method's MAPE, the method that won, and the
residuals the shown forecast's P10–P90 band is calibrated on (``residual_band``), with that
band's leave-one-period-out coverage. System-wide; nothing here commits.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from nexa.core.db import utcnow
from nexa.core.errors import ValidationFailed
from nexa.forecast import repository as repo
from nexa.forecast.service import COLD_START, Context, all_facts, predictions_for, start_of
from nexa.intelligence import deal_model
from nexa.intelligence.deal_features import (
    DealFacts,
    History,
    Norms,
    StageInfo,
    features_as_of,
    training_rows,
)
from nexa.intelligence.forecast import (
    loo_coverage,
    mape,
    past_periods,
    period_errors,
    period_label,
    predicted_close,
    residual_ratios,
    simulate_revenue,
)

METHODS = ("model", "stage", "last_period")
# each method's forecast column in a backtest row
FORECAST_KEY = {
    "model": "forecast",
    "stage": "baseline_forecast",
    "last_period": "last_period_forecast",
}
PERIODS_JOB = 8  # the weekly job replays two years of quarters (fewer when history is shorter)


def _in_play(
    facts: list[DealFacts],
    stages: dict[tuple[uuid.UUID, str], StageInfo],
    norms: Norms,
    start: date,
    end: date,
) -> list[DealFacts]:
    """The deals open at ``start`` (as the past saw them: outcome unknown) that were expected
    then to close by ``end``: their close date, or the predicted one when they had none or it
    had passed."""
    s = start_of(start)
    out: list[DealFacts] = []
    for f in facts:
        entry = f.entry_at(s)
        if entry is None or (f.closed_at is not None and f.closed_at < s):
            continue
        info = stages.get((f.pipeline_id, entry.stage))
        if info is None or info.kind != "open":
            continue
        open_f = _as_open(f)
        row = features_as_of(open_f, s, norms, stages)
        if row is None:
            continue
        expected = row.close_date
        if expected is None or expected < start:
            expected = predicted_close(row, norms, start)
        if start <= expected <= end:
            out.append(open_f)
    return out


def _won_in(
    deals: list[DealFacts], originals: dict[uuid.UUID, DealFacts], s: datetime, e: datetime
) -> float:
    """The closed-won amount of ``deals`` closed in [s, e) — what the backtest compares with."""
    total = 0.0
    for f in deals:
        orig = originals[f.deal_id]
        if orig.outcome == "won" and orig.closed_at is not None and s <= orig.closed_at < e:
            total += orig.amount_org or 0.0
    return total


def _coverage(rows: list[dict[str, Any]]) -> float | None:
    """The share of periods whose actual fell inside the model's P10–P90 band."""
    return round(sum(1 for r in rows if r["within_p10_p90"]) / len(rows), 4) if rows else None


def _winner(mapes: dict[str, float | None]) -> str | None:
    """The method with the lowest MAPE (ties go to the simpler one: last period, then stage
    probability, then the model); None when no period had closed-won revenue."""
    known = {k: v for k, v in mapes.items() if v is not None}
    if not known:
        return None
    simplest_first = ("last_period", "stage", "model")
    return min(simplest_first, key=lambda k: (known.get(k, float("inf")), simplest_first.index(k)))


def backtest(
    session: Session,
    periods: int = 4,
    *,
    unit: str = "quarter",
    now: datetime | None = None,
    simulations: int = 2000,
    seed: int = 0,
    record: bool = False,
) -> dict[str, Any]:
    """Replay the last ``periods`` complete periods: at each start, the deals open then, with
    features as of then and a model trained only on deals closed before then (the cold start
    when there were too few); the forecast against the closed-won revenue of those deals in
    the period. Beside it two baselines over the same deals and the same actuals: the stage
    probability (Σ amount × the probability of the stage each deal was in at the period's
    start) and the last period (the previous period's actual, measured the same way). MAPE
    for each, the coverage of the model's P10–P90 band and the method that won. System-wide.
    ``calibration``: per method, the ratios actual / forecast of the periods it forecast
    something (what the shown forecast's band is calibrated on) and the leave-one-period-out
    coverage of that band. ``record``: keep the summary (``latest_backtest``) so the forecast
    uses the winner and its band."""
    if unit not in ("quarter", "month"):
        raise ValidationFailed("unit is quarter or month", field="unit")
    if not 1 <= periods <= 24:
        raise ValidationFailed("periods must be between 1 and 24", field="periods")
    now = now or utcnow()
    facts = all_facts(session)
    originals = {f.deal_id: f for f in facts}
    history = History(facts)
    stages = repo.stage_map(session)
    windows = past_periods(now.date(), periods + 1, unit)
    first_start, first_end = windows[0]
    previous_actual = _won_in(
        _in_play(facts, stages, history.norms(start_of(first_start)), first_start, first_end),
        originals,
        start_of(first_start),
        start_of(first_end + timedelta(days=1)),
    )
    rows: list[dict[str, Any]] = []
    for start, end in windows[1:]:
        s = start_of(start)
        e = start_of(end + timedelta(days=1))
        x, y, times = training_rows(facts, history, stages, closed_before=s)
        closed_before = sum(
            1 for f in facts if f.closed_at is not None and f.outcome and f.closed_at < s
        )
        trained = deal_model.train(x, y, times, closed_deals=closed_before)
        ctx = Context(
            now=s,
            stages=stages,
            norms=history.norms(s),
            model=trained.model,
            model_auc=trained.auc,
            model_label="model" if trained.model else COLD_START,
        )
        in_play = _in_play(facts, stages, ctx.norms, start, end)
        preds = predictions_for(ctx, in_play, shown=False)
        amounts, probs, baseline = [], [], 0.0
        for f in in_play:
            amount = f.amount_org_at(s) or 0.0
            p = float(preds[f.deal_id]["win_probability"]) if f.deal_id in preds else 0.0
            amounts.append(amount)
            probs.append(p)
            entry = f.entry_at(s)
            info = stages.get((f.pipeline_id, entry.stage)) if entry else None
            baseline += amount * (info.probability / 100 if info else 0)
        actual = _won_in(in_play, originals, s, e)
        all_won = sum(
            f.amount_org or 0.0
            for f in facts
            if f.outcome == "won" and f.closed_at is not None and s <= f.closed_at < e
        )
        forecast = float(np.dot(amounts, probs)) if amounts else 0.0
        sim = simulate_revenue(amounts, probs, simulations=simulations, seed=seed)
        rows.append(
            {
                "period": period_label(start, end),
                "open_deals": len(in_play),
                "predictor": "model" if trained.model else COLD_START,
                "training_closed_deals": closed_before,
                "pipeline": round(sum(amounts), 2),
                "forecast": round(forecast, 2),
                "p10": round(sim.p10, 2),
                "p90": round(sim.p90, 2),
                "actual": round(actual, 2),
                "all_won_in_period": round(all_won, 2),
                "within_p10_p90": sim.p10 <= actual <= sim.p90,
                **period_errors(forecast, actual),
                "baseline_forecast": round(baseline, 2),
                "baseline_abs_error": round(abs(baseline - actual), 2),
                "baseline_ape": period_errors(baseline, actual)["ape"],
                "last_period_forecast": round(previous_actual, 2),
                "last_period_abs_error": round(abs(previous_actual - actual), 2),
                "last_period_ape": period_errors(previous_actual, actual)["ape"],
            }
        )
        previous_actual = actual
    mapes = {
        "model": mape(rows),
        "stage": mape([{"ape": r["baseline_ape"]} for r in rows]),
        "last_period": mape([{"ape": r["last_period_ape"]} for r in rows]),
    }
    calibration = {
        m: {
            "ratios": residual_ratios(
                [r[FORECAST_KEY[m]] for r in rows], [r["actual"] for r in rows]
            ),
            "coverage": loo_coverage(
                [r[FORECAST_KEY[m]] for r in rows], [r["actual"] for r in rows]
            ),
        }
        for m in METHODS
    }
    result = {
        "unit": unit,
        "periods": rows,
        "calibration": calibration,
        "mape": mapes["model"],
        "baseline_mape": mapes["stage"],
        "stage_mape": mapes["stage"],
        "last_period_mape": mapes["last_period"],
        "coverage_p10_p90": _coverage(rows),
        "winner": _winner(mapes),
        "mean_abs_error": round(float(np.mean([r["abs_error"] for r in rows])), 2)
        if rows
        else None,
    }
    if record:
        repo.save_backtest(session, _summary(result, now))
    return result


def _summary(result: dict[str, Any], now: datetime) -> dict[str, Any]:
    """What the forecast shows of a backtest: when, over what, each method's error."""
    return {
        "ran_at": now.isoformat(),
        "unit": result["unit"],
        "periods": [
            {
                key: r[key]
                for key in (
                    "period",
                    "open_deals",
                    "forecast",
                    "p10",
                    "p90",
                    "baseline_forecast",
                    "last_period_forecast",
                    "actual",
                )
            }
            for r in result["periods"]
        ],
        "mape": result["mape"],
        "stage_mape": result["stage_mape"],
        "last_period_mape": result["last_period_mape"],
        "coverage_p10_p90": result["coverage_p10_p90"],
        "winner": result["winner"],
        "calibration": result["calibration"],
    }


def _as_open(f: DealFacts) -> DealFacts:
    """The deal as the past saw it: outcome unknown (features never read it anyway)."""
    return DealFacts(
        deal_id=f.deal_id,
        owner_id=f.owner_id,
        pipeline_id=f.pipeline_id,
        created_at=f.created_at,
        entries=f.entries,
        activities=f.activities,
        contacts=f.contacts,
        changes=f.changes,
        amount_org=f.amount_org,
        amount=f.amount,
        close_date=f.close_date,
        competitors=f.competitors,
        discount=False,
        outcome=None,
        closed_at=None,
        name=f.name,
    )
