"""Forecast arithmetic: periods, the Monte Carlo of closed-won revenue, a deal's predicted
close date and confidence, and backtest errors. Pure functions (numpy), no database."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np

from nexa.intelligence.deal_features import FeatureRow, Norms

HIGH_CONFIDENCE_P = 0.7
MIN_DAYS_TO_CLOSE = 7
_QUARTER = re.compile(r"^(\d{4})-?Q([1-4])$", re.IGNORECASE)
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_YEAR = re.compile(r"^(\d{4})$")


# ---- periods ---------------------------------------------------------------------------------
def month_start(d: date) -> date:
    return d.replace(day=1)


def add_months(d: date, months: int) -> date:
    y, m = divmod(d.month - 1 + months, 12)
    return date(d.year + y, m + 1, 1)


def parse_period(text: str) -> tuple[date, date] | None:
    """``2026-Q4``, ``2026-11`` or ``2026`` → (first day, last day); None when unreadable."""
    text = text.strip()
    if m := _QUARTER.match(text):
        start = date(int(m.group(1)), 3 * (int(m.group(2)) - 1) + 1, 1)
        return start, add_months(start, 3) - timedelta(days=1)
    if m := _MONTH.match(text):
        month = int(m.group(2))
        if not 1 <= month <= 12:
            return None
        start = date(int(m.group(1)), month, 1)
        return start, add_months(start, 1) - timedelta(days=1)
    if m := _YEAR.match(text):
        return date(int(m.group(1)), 1, 1), date(int(m.group(1)), 12, 31)
    return None


def period_label(start: date, end: date) -> str:
    if start.day == 1 and end == add_months(start, 3) - timedelta(days=1) and start.month % 3 == 1:
        return f"{start.year}-Q{(start.month - 1) // 3 + 1}"
    if start.day == 1 and end == add_months(start, 1) - timedelta(days=1):
        return f"{start.year}-{start.month:02d}"
    return f"{start.isoformat()}..{end.isoformat()}"


def past_periods(today: date, count: int, unit: str = "quarter") -> list[tuple[date, date]]:
    """The ``count`` complete periods before the one containing ``today``, oldest first."""
    step = 3 if unit == "quarter" else 1
    current = month_start(today)
    if step == 3:
        current = current.replace(month=3 * ((current.month - 1) // 3) + 1)
    out = []
    for i in range(count, 0, -1):
        start = add_months(current, -step * i)
        out.append((start, add_months(start, step) - timedelta(days=1)))
    return out


# ---- Monte Carlo -----------------------------------------------------------------------------
@dataclass
class Simulation:
    p10: float
    p50: float
    p90: float
    mean: float
    simulations: int


def simulate_revenue(
    amounts: Any, probabilities: Any, *, simulations: int = 10000, seed: int = 0
) -> Simulation:
    """Each simulation wins each deal independently with its probability; the quantiles of
    the won total. Seeded; memory-bounded (chunks of simulations)."""
    a = np.asarray(amounts, dtype=float)
    p = np.clip(np.asarray(probabilities, dtype=float), 0.0, 1.0)
    if simulations < 1:
        raise ValueError("simulations must be at least 1")
    if a.size == 0:
        return Simulation(0.0, 0.0, 0.0, 0.0, simulations)
    rng = np.random.default_rng(seed)
    chunk = max(1, min(simulations, 2_000_000 // max(1, a.size)))
    totals = np.empty(simulations, dtype=float)
    done = 0
    while done < simulations:
        k = min(chunk, simulations - done)
        wins = rng.random((k, a.size)) < p
        totals[done : done + k] = wins @ a
        done += k
    q10, q50, q90 = np.percentile(totals, [10, 50, 90], method="inverted_cdf")
    return Simulation(float(q10), float(q50), float(q90), float(totals.mean()), simulations)


# ---- predicted close date and confidence -----------------------------------------------------
def predicted_close(row: FeatureRow, norms: Norms, today: date) -> date:
    """From the median time won deals took from entering this stage to closing, counted from
    when this deal entered it; never earlier than a week from today (an overdue deal is not
    going to close yesterday). Without history: the rep's close date, else 30 days."""
    stage_key = row.stage.key if row.stage else ""
    remaining = norms.remaining_won_days.get(stage_key)
    if remaining is not None:
        entered = today - timedelta(days=int(row.days_in_stage))
        guess = entered + timedelta(days=round(remaining))
    elif row.close_date is not None:
        guess = row.close_date
    else:
        guess = today + timedelta(days=30)
    return max(guess, today + timedelta(days=MIN_DAYS_TO_CLOSE))


def confidence(p: float, row: FeatureRow, norms: Norms, *, model_auc: float | None) -> float:
    """How much to trust the prediction (0–1): the evidence behind it (a model and its
    held-out AUC, or how many deals were won from this stage for the cold start) times how
    decisive the probability is."""
    if model_auc is not None:
        evidence = min(1.0, max(0.3, (model_auc - 0.5) * 2.5))
    else:
        won_here = norms.won_from_stage.get(row.stage.key if row.stage else "", 0)
        evidence = 0.3 + 0.4 * min(1.0, won_here / 20)
    decisive = 0.6 + 0.4 * abs(2 * p - 1)
    return round(min(1.0, evidence * decisive), 2)


# ---- backtest errors -------------------------------------------------------------------------
def period_errors(forecast: float, actual: float) -> dict[str, Any]:
    error = forecast - actual
    return {
        "error": round(error, 2),
        "abs_error": round(abs(error), 2),
        "ape": round(abs(error) / actual, 4) if actual > 0 else None,
    }


def mape(rows: list[dict[str, Any]]) -> float | None:
    apes = [r["ape"] for r in rows if r.get("ape") is not None]
    return round(float(np.mean(apes)), 4) if apes else None


# ---- intervals calibrated on backtest residuals ---------------------------------------------
MIN_RESIDUAL_PERIODS = 3  # fewer past periods with a forecast: no calibrated band
BAND_PROBABILITY = 0.8  # P10–P90
RATIO_FLOOR = 0.02  # an actual of 0 counts as 2 % of the forecast (the log needs a number)


@dataclass(frozen=True)
class Band:
    p10: float
    p50: float
    p90: float
    periods: int  # how many past periods it rests on


def residual_ratios(forecasts: list[float], actuals: list[float]) -> list[float]:
    """actual / forecast for each past period whose forecast was above zero."""
    return [
        round(max(a / f, RATIO_FLOOR), 6)
        for f, a in zip(forecasts, actuals, strict=True)
        if f > 0 and a is not None
    ]


def residual_band(forecast: float, ratios: list[float]) -> Band | None:
    """The P10 / P50 / P90 of the period's actual given ``forecast`` and how actuals compared
    with forecasts before: log(actual / forecast) taken as normal, with a Student-t prediction
    interval for a new period (few periods give a wide band, not a falsely narrow one). None
    with fewer than ``MIN_RESIDUAL_PERIODS`` ratios."""
    if len(ratios) < MIN_RESIDUAL_PERIODS:
        return None
    from scipy.stats import t as student_t

    logs = np.log(np.asarray(ratios, dtype=float))
    n = logs.size
    centre = float(logs.mean())
    spread = float(logs.std(ddof=1)) * float(np.sqrt(1 + 1 / n))
    half = float(student_t.ppf(0.5 + BAND_PROBABILITY / 2, n - 1)) * spread
    return Band(
        p10=forecast * float(np.exp(centre - half)),
        p50=forecast * float(np.exp(centre)),
        p90=forecast * float(np.exp(centre + half)),
        periods=n,
    )


def loo_coverage(forecasts: list[float], actuals: list[float]) -> float | None:
    """How often a past period's actual fell inside the band calibrated on the *other*
    periods (leave one out): an honest coverage of the P10–P90 band. None when the band
    could not be calibrated without the left-out period."""
    pairs = [(f, a) for f, a in zip(forecasts, actuals, strict=True) if f > 0 and a is not None]
    if len(pairs) < MIN_RESIDUAL_PERIODS + 1:
        return None
    inside = 0
    for i, (f, a) in enumerate(pairs):
        others = [p for j, p in enumerate(pairs) if j != i]
        band = residual_band(f, residual_ratios([p[0] for p in others], [p[1] for p in others]))
        assert band is not None
        inside += band.p10 <= a <= band.p90
    return round(inside / len(pairs), 4)
