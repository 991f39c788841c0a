"""Deal win prediction and the pipeline forecast (spec Use Case 3, issue 5).

* ``predict_deal`` — a deal's win probability (the model's when one is active and beat the
  stage probability, else the stage probability, PRODUCT.md "Probabilities"), its factors
  and risk factors in words, a predicted close date and a confidence, written on the deal;
  ``deal_prediction`` reads it back (the one figure every page and the API show).
* ``rescore_open_deals`` — the same for every open deal (a job; also run per deal by the
  ``deal.*`` subscribers).
* ``predict_pipeline`` — totals, weighted and high-confidence forecast, at-risk deals and
  P10/P50/P90 of closed-won revenue for a period by Monte Carlo, over the deals the actor
  may read.
* ``train_deal_model`` (admins) and ``backtest`` (replays past periods from stage history).

Predictions are derived data: they are written with a plain UPDATE that leaves the deal's
version (its ETag) and ``updated_at`` alone, so a rescore never makes someone's edit stale.
Nothing here commits.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from nexa.core.actor import Actor
from nexa.core.cache import TableCache
from nexa.core.db import utcnow
from nexa.core.errors import PermissionDenied, ValidationFailed
from nexa.core.money import to_cents
from nexa.deal.currency import org_currency
from nexa.deal.repository import DealRepository
from nexa.forecast import repository as repo
from nexa.intelligence import deal_model
from nexa.intelligence.deal_features import (
    DealFacts,
    History,
    Norms,
    StageInfo,
    features_as_of,
    risk_factors,
    training_rows,
)
from nexa.intelligence.forecast import (
    HIGH_CONFIDENCE_P,
    add_months,
    confidence,
    period_label,
    predicted_close,
    residual_band,
    simulate_revenue,
)
from nexa.models import Deal

log = logging.getLogger("nexa.forecast")
COLD_START = "cold-start"
# win_model_version of a deal whose shown win probability is its stage probability
STAGE = "stage"
MAX_SIMULATIONS = 100_000
AT_RISK_P = 0.3
AT_RISK_STAGE_PROBABILITY = 50  # "proposal and later" in the default pipeline
SERIOUS_RISKS = ("stalled", "close_date_past", "close_date_pushed", "no_activity")
HISTORY_TTL_SECONDS = 60.0


def start_of(d: date) -> datetime:
    return datetime(d.year, d.month, d.day, tzinfo=UTC)


# ---- the organization's history (norms), cached per process ---------------------------------
# Every deal create and stage move rescores that deal (the ``deal.*`` subscribers). Reading the
# organization's whole history for each one made an import quadratic (issue 16: 200 deals in
# 115 s, 8,800 never committed), so that path takes the norms from a per-process snapshot,
# reloaded when older than HISTORY_TTL_SECONDS. Everything that rescores on purpose (a deal's
# prediction asked for, the nightly rescore, training, backtests) reads the history afresh.
_HISTORY = TableCache("forecast.history", (), ttl=HISTORY_TTL_SECONDS)


@dataclass(frozen=True)
class Snapshot:
    """The organization's history as loaded at ``at``, and its norms as of then."""

    history: History
    norms: Norms
    at: datetime


def _load_snapshot(session: Session) -> Snapshot:
    at = utcnow()
    history = History(repo.history_facts(session))
    return Snapshot(history, history.norms(at), at)


def _cache_key(session: Session) -> str:
    return str(session.get_bind().engine.url)


def org_history(session: Session) -> History:
    """Every deal's stage stays and outcome, read now (the cached snapshot is renewed)."""
    snapshot = _load_snapshot(session)
    _HISTORY.put(_cache_key(session), snapshot)
    return snapshot.history


def cached_snapshot(session: Session) -> Snapshot:
    """The per-process snapshot of the history (at most HISTORY_TTL_SECONDS old)."""
    return _HISTORY.get(_cache_key(session), lambda: _load_snapshot(session))


@dataclass
class Context:
    now: datetime
    stages: dict[tuple[uuid.UUID, str], StageInfo]
    norms: Norms
    model: deal_model.WinModel | None
    model_auc: float | None
    model_label: str
    # the model's probabilities are the shown ones (it beat the stage probability); else the
    # stage probability is shown, and the backtest alone reads the raw prediction
    model_in_use: bool = False


def context(session: Session, now: datetime | None = None, *, cached: bool = False) -> Context:
    """What a prediction needs. ``cached``: the norms of the per-process snapshot (one deal's
    rescore after its own change), else of the history read now, as of ``now``."""
    now = now or utcnow()
    row = deal_model.active_model_row(session)
    model = deal_model.load_active(session) if row is not None else None
    norms = cached_snapshot(session).norms if cached else org_history(session).norms(now)
    return Context(
        now=now,
        stages=repo.stage_map(session),
        norms=norms,
        model=model,
        model_auc=row.auc if row is not None else None,
        model_label=row.label if row is not None else COLD_START,
        model_in_use=model is not None and deal_model.in_use(row),
    )


# ---- predictions -----------------------------------------------------------------------------
def predictions_for(
    ctx: Context, facts: list[DealFacts], *, shown: bool = True
) -> dict[uuid.UUID, dict[str, Any]]:
    """Prediction values for each deal (batched: one model call for all).

    ``shown`` (every path but the backtest): what pages and the API show (PRODUCT.md
    "Probabilities") — the model's probability when a model is active and beat the stage
    probability, else the deal's stage probability, named as such (``win_model_version``
    "stage"); the predicted close date from the organization's history when a model is
    active, else the deal's own close date. ``shown=False``: the raw prediction (the model,
    or the cold start without one) that the backtest measures."""
    out: dict[uuid.UUID, dict[str, Any]] = {}
    rows = []
    for f in facts:
        if f.outcome is not None:
            out[f.deal_id] = _closed_values(ctx, f)
            continue
        row = features_as_of(f, ctx.now, ctx.norms, ctx.stages)
        if row is None:
            continue
        rows.append((f, row))
    if not rows:
        return out
    if shown and not ctx.model_in_use:
        for f, row in rows:
            out[f.deal_id] = _stage_values(ctx, f, row)
        return out
    probs: list[float]
    factors: list[list[dict[str, Any]]]
    if ctx.model is not None:
        x = np.array([row.vector() for _, row in rows], dtype=float)
        probs = [float(p) for p in ctx.model.predict(x)]
        contribs = ctx.model.contributions(x)
        factors = [
            deal_model.explain(ctx.model, row, ctx.norms, contribs[i])
            for i, (_, row) in enumerate(rows)
        ]
    else:
        pairs = [deal_model.cold_start(row, ctx.norms) for _, row in rows]
        probs = [p for p, _ in pairs]
        factors = [f for _, f in pairs]
    for (f, row), p, why in zip(rows, probs, factors, strict=True):
        out[f.deal_id] = {
            "win_probability": round(p, 4),
            "win_model_version": ctx.model_label,
            "win_factors": why,
            "risk_factors": risk_factors(row, ctx.norms, ctx.now, discount=f.discount),
            "predicted_close_date": predicted_close(row, ctx.norms, ctx.now.date()),
            "prediction_confidence": confidence(
                p, row, ctx.norms, model_auc=ctx.model_auc if ctx.model else None
            ),
            "predicted_at": ctx.now,
        }
    return out


def _stage_values(ctx: Context, f: DealFacts, row: Any) -> dict[str, Any]:
    """The stage probability shown as the deal's win probability (no model, or one that did
    not beat it), with the risk factors and, when a model is active, its close date."""
    stage = row.stage
    percent = f.probability if f.probability is not None else (stage.probability if stage else 0)
    p = percent / 100
    why = (
        "set by the owner"
        if stage is not None and percent != stage.probability
        else f"the default of {stage.name if stage else 'the stage'}"
    )
    label = f"Stage probability {percent} % ({why})"
    if ctx.model is not None:
        label += f"; the {ctx.model_label} model did not beat it on held-out deals"
    return {
        "win_probability": round(p, 4),
        "win_model_version": STAGE,
        "win_factors": [{"feature": "stage_probability", "label": label, "points": percent}],
        "risk_factors": risk_factors(row, ctx.norms, ctx.now, discount=f.discount),
        "predicted_close_date": (
            predicted_close(row, ctx.norms, ctx.now.date())
            if ctx.model is not None
            else f.close_date
        ),
        "prediction_confidence": confidence(p, row, ctx.norms, model_auc=None),
        "predicted_at": ctx.now,
    }


def _closed_values(ctx: Context, f: DealFacts) -> dict[str, Any]:
    won = f.outcome == "won"
    return {
        "win_probability": 1.0 if won else 0.0,
        "win_model_version": ctx.model_label if ctx.model_in_use else STAGE,
        "win_factors": [
            {"feature": "outcome", "label": "Closed won" if won else "Closed lost", "points": 0}
        ],
        "risk_factors": [],
        "predicted_close_date": f.closed_at.date() if f.closed_at else None,
        "prediction_confidence": 1.0,
        "predicted_at": ctx.now,
    }


def _write(session: Session, deal_id: uuid.UUID, values: dict[str, Any]) -> None:
    """Store the prediction without touching the deal's version or updated_at."""
    repo.write_prediction(session, deal_id, values)
    deal = session.identity_map.get(session.identity_key(Deal, deal_id))
    if deal is not None:
        for key, value in values.items():
            set_committed_value(deal, key, value)


def predict_deal(
    session: Session,
    actor: Actor,
    deal_id: uuid.UUID,
    *,
    now: datetime | None = None,
    store: bool = True,
) -> dict[str, Any]:
    """Recompute the prediction of a deal the actor may read; stored on the deal unless
    ``store`` is false (reads on GET requests answer fresh figures without writing)."""
    deal = DealRepository(session).get(actor, deal_id)
    values = _compute(session, deal.id, now)
    if values is not None and store:
        _write(session, deal.id, values)
    out = prediction_of(deal)
    if values is not None:
        out.update(values)
    return out


def deal_prediction(session: Session, actor: Actor, deal_id: uuid.UUID) -> dict[str, Any]:
    """The prediction stored on a deal the actor may read — the one figure the deal record,
    lists, the forecast and the deal page show (kept fresh by every change of the deal and
    the nightly rescore); computed, not stored, for a deal never predicted."""
    deal = DealRepository(session).get(actor, deal_id)
    if deal.predicted_at is not None:
        return prediction_of(deal)
    return predict_deal(session, actor, deal_id, store=False)


def _compute(
    session: Session, deal_id: uuid.UUID, now: datetime | None, *, cached: bool = False
) -> dict[str, Any] | None:
    facts = repo.load_facts(session, [deal_id])
    if deal_id not in facts:
        return None
    return predictions_for(context(session, now, cached=cached), [facts[deal_id]]).get(deal_id)


def refresh_deal(
    session: Session, deal_id: uuid.UUID, *, now: datetime | None = None, cached: bool = False
) -> bool:
    """System: recompute and store one deal's prediction. ``cached`` (the subscribers, after
    the deal's own change): with the per-process norms, so the cost is this deal's rows
    whatever the organization's size."""
    values = _compute(session, deal_id, now, cached=cached)
    if values is None:
        return False
    _write(session, deal_id, values)
    return True


def refresh_new_deals(
    session: Session,
    deals: list[Any],
    stage_rows: list[dict[str, Any]],
    *,
    now: datetime | None = None,
    cached: bool = False,
) -> int:
    """System: what ``refresh_deal`` does for each of a group of deals just created (the bulk
    create, ``nexa.deal.bulk``: ``deals`` their column values, ``stage_rows`` their
    stage-history rows), with one context and one executemany; their facts are built from
    those values, not read back."""
    facts = repo.new_deal_facts(deals, stage_rows)
    if not facts:
        return 0
    values = predictions_for(context(session, now, cached=cached), list(facts.values()))
    repo.write_predictions(session, values)
    for deal_id, row in values.items():
        deal = session.identity_map.get(session.identity_key(Deal, deal_id))
        if deal is not None:
            for key, value in row.items():
                set_committed_value(deal, key, value)
    return len(values)


def rescore_open_deals(session: Session, *, now: datetime | None = None) -> int:
    """System job: every open deal's prediction; returns how many were written."""
    ctx = context(session, now)
    ids = repo.open_deal_ids(session)
    written = 0
    for i in range(0, len(ids), repo.CHUNK):
        facts = repo.load_facts(session, ids[i : i + repo.CHUNK])
        for deal_id, values in predictions_for(ctx, list(facts.values())).items():
            _write(session, deal_id, values)
            written += 1
    session.flush()
    return written


def prediction_of(deal: Deal) -> dict[str, Any]:
    return {
        "deal_id": deal.id,
        "name": deal.name,
        "stage": deal.stage,
        "probability": deal.probability,
        "win_probability": deal.win_probability,
        "win_model_version": deal.win_model_version,
        "win_factors": deal.win_factors or [],
        "risk_factors": deal.risk_factors or [],
        "predicted_close_date": deal.predicted_close_date,
        "prediction_confidence": deal.prediction_confidence,
        "predicted_at": deal.predicted_at,
    }


# ---- the pipeline forecast -------------------------------------------------------------------
def _expected_close(deal: Deal, today: date) -> date:
    """When the forecast expects the deal: its close date; an overdue one slips to the
    predicted close date (or today)."""
    if deal.close_date is not None and deal.close_date >= today:
        return deal.close_date
    if deal.predicted_close_date is not None:
        return max(deal.predicted_close_date, today)
    return deal.close_date if deal.close_date is not None else today


def _p(deal: Deal) -> float:
    if deal.win_probability is not None:
        return float(deal.win_probability)
    return deal.probability / 100


def predict_pipeline(
    session: Session,
    actor: Actor,
    period_start: date,
    period_end: date,
    *,
    simulations: int = 10000,
    seed: int = 0,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The forecast of the period over the open deals the actor may read whose (expected)
    close date falls in it. Probabilities are the stored win probabilities, falling back to
    the stage probability for a deal not scored yet."""
    if not actor.can("deal:read"):
        raise PermissionDenied("you may not read deals")
    if period_start > period_end:
        raise ValidationFailed("the period starts after it ends", field="start")
    if (period_end - period_start).days > 366 * 2:
        raise ValidationFailed("a forecast period is at most two years", field="end")
    if not 1 <= simulations <= MAX_SIMULATIONS:
        raise ValidationFailed(
            f"simulations must be between 1 and {MAX_SIMULATIONS}", field="simulations"
        )
    now = now or utcnow()
    today = now.date()
    readable = DealRepository(session).readable(actor)
    deals = [
        d
        for d in repo.open_deals(session, readable)
        if period_start <= _expected_close(d, today) <= period_end
    ]
    won_amount = repo.won_amount(
        session,
        readable,
        closed_from=start_of(period_start),
        closed_to=start_of(period_end + timedelta(days=1)),
    )
    stage_names = DealRepository(session).stage_names({d.stage_id for d in deals})
    predictions: list[dict[str, Any]] = []
    amounts: list[float] = []
    probs: list[float] = []
    for d in deals:
        amount = float(d.amount_org or 0)
        p = _p(d)
        amounts.append(amount)
        probs.append(p)
        predictions.append(
            {
                "deal_id": d.id,
                "name": d.name,
                "owner_id": d.owner_id,
                "value": to_cents(amount),
                "stage": d.stage,
                "stage_name": stage_names.get(d.stage_id, d.stage),
                "stage_probability": d.probability,
                "win_probability": round(p, 4),
                "scored": d.win_probability is not None,
                "weighted_value": to_cents(amount * p),
                "risk_factors": d.risk_factors or [],
                "close_date": d.close_date,
                "predicted_close": d.predicted_close_date,
                "confidence": d.prediction_confidence,
            }
        )
    sim = simulate_revenue(amounts, probs, simulations=simulations, seed=seed)
    weighted = sum(a * p for a, p in zip(amounts, probs, strict=True))
    stage_forecast = sum(float(d.amount_org or 0) * d.probability / 100 for d in deals)
    previous_start, previous_end = previous_period(period_start, period_end)
    last_period = float(
        repo.won_amount(
            session,
            readable,
            closed_from=start_of(previous_start),
            closed_to=start_of(previous_end + timedelta(days=1)),
            created_before=start_of(previous_start),
        )
        or 0
    )
    summary = latest_backtest(session)
    shown = shown_forecast(
        summary,
        {"model": weighted, "stage": stage_forecast, "last_period": last_period},
        (sim.p10, sim.p50, sim.p90),
    )
    at_risk = [
        p
        for p in predictions
        if (
            p["win_probability"] < AT_RISK_P and p["stage_probability"] >= AT_RISK_STAGE_PROBABILITY
        )
        or any(r.get("rule") in SERIOUS_RISKS for r in p["risk_factors"])
    ]
    at_risk.sort(key=lambda p: -p["value"])
    total = sum(amounts)
    return {
        "period": period_label(period_start, period_end),
        "start": period_start,
        "end": period_end,
        "currency": org_currency(),
        "deals": len(predictions),
        "total_pipeline": to_cents(total),
        "forecast": to_cents(shown["forecast"]),
        "method": shown["method"],
        "method_reason": shown["reason"],
        "weighted_forecast": to_cents(weighted),
        "stage_forecast": to_cents(stage_forecast),
        "last_period_forecast": to_cents(last_period),
        "last_period": period_label(previous_start, previous_end),
        "high_confidence": to_cents(
            sum(a * p for a, p in zip(amounts, probs, strict=True) if p >= HIGH_CONFIDENCE_P)
        ),
        "high_confidence_p": HIGH_CONFIDENCE_P,
        "closed_won": to_cents(float(won_amount or 0)),
        "p10": to_cents(shown["p10"]),
        "p50": to_cents(shown["p50"]),
        "p90": to_cents(shown["p90"]),
        "band": shown["band"],
        "band_periods": shown["band_periods"],
        "band_coverage": shown["band_coverage"],
        "simulated_p10": to_cents(sim.p10),
        "simulated_p90": to_cents(sim.p90),
        "simulations": sim.simulations,
        "seed": seed,
        "at_risk_deals": at_risk,
        "predictions": predictions,
        "backtest": summary,
    }


METHOD_WORDS = {
    "model": "the deal model's win probabilities",
    "stage": "the stage probabilities",
    "last_period": "last period's closed-won revenue",
}


def previous_period(start: date, end: date) -> tuple[date, date]:
    """The period of the same length just before [start, end] (a quarter before a quarter,
    a month before a month; otherwise the same number of days)."""
    if start.day == 1 and (end + timedelta(days=1)).day == 1:
        months = (end.year - start.year) * 12 + end.month - start.month + 1
        return add_months(start, -months), start - timedelta(days=1)
    days = (end - start).days + 1
    return start - timedelta(days=days), start - timedelta(days=1)


def shown_forecast(
    summary: dict[str, Any] | None,
    candidates: dict[str, float],
    simulated: tuple[float, float, float],
) -> dict[str, Any]:
    """The forecast users see: the method that won the latest backtest over the
    organization's own history (the deal model's weighted forecast until one is recorded),
    with a P10–P90 band calibrated on that method's backtest residuals — the Monte Carlo
    band of the win probabilities when the backtest has too few periods to calibrate on."""
    method = (summary or {}).get("winner") or "model"
    forecast = candidates[method]
    if summary is None:
        reason = "no backtest recorded yet: the deal model's win probabilities are used"
    elif summary.get("winner") is None:
        reason = "the latest backtest had no period with closed-won revenue: the deal model's"
        reason += " win probabilities are used"
    else:
        reason = (
            f"{METHOD_WORDS[method]} had the lowest error over the last "
            f"{len(summary['periods'])} {summary['unit']}s of this organization's history"
        )
    calibration = (summary or {}).get("calibration", {}).get(method, {})
    band = residual_band(forecast, calibration.get("ratios", []))
    if band is not None:
        return {
            "forecast": forecast,
            "method": method,
            "reason": reason,
            "p10": band.p10,
            "p50": band.p50,
            "p90": band.p90,
            "band": "backtest",
            "band_periods": band.periods,
            "band_coverage": calibration.get("coverage"),
        }
    p10, p50, p90 = simulated
    kind = "simulation"
    if method != "model":  # the simulation is of the model's probabilities: scale it
        if candidates["model"] > 0:
            scale = forecast / candidates["model"]
            p10, p50, p90 = p10 * scale, p50 * scale, p90 * scale
        else:
            p10 = p50 = p90 = forecast
            kind = "none"
    return {
        "forecast": forecast,
        "method": method,
        "reason": reason,
        "p10": p10,
        "p50": p50,
        "p90": p90,
        "band": kind,
        "band_periods": 0,
        "band_coverage": None,
    }


# ---- training --------------------------------------------------------------------------------
def all_facts(session: Session) -> list[DealFacts]:
    return list(repo.load_facts(session, repo.all_deal_ids(session)).values())


def train_deal_model(
    session: Session, actor: Actor, *, now: datetime | None = None, rescore: bool = True
) -> dict[str, Any]:
    """Admins: train the win model on the closed deals; the new version becomes active and
    the open deals are rescored. With too little history it refuses and says how far the
    organization is (``trained`` false, nothing stored)."""
    if not (actor.is_admin or actor.can("settings:write")):
        raise PermissionDenied("only admins train models")
    now = now or utcnow()
    facts = all_facts(session)
    history = History(facts)
    stages = repo.stage_map(session)
    closed = sum(1 for f in facts if f.outcome is not None)
    x, y, times = training_rows(facts, history, stages)
    result = deal_model.train(x, y, times, closed_deals=closed)
    report: dict[str, Any] = {
        "trained": result.trained,
        "message": result.message,
        "closed_deals": closed,
        "needed": result.needed,
        "snapshots": len(y),
        "version": None,
        "auc": result.auc,
        "brier": result.brier,
        "card": result.card,
        "rescored": 0,
    }
    if not result.trained:
        return report
    row = deal_model.save_model(session, result, trained_at=now, trained_by=actor.user_id)
    report["version"] = row.version
    report["model"] = row.label
    if rescore:
        report["rescored"] = rescore_open_deals(session, now=now)
    return report


def model_status(session: Session, actor: Actor) -> dict[str, Any]:
    """The active deal model's card (or how far the organization is from one)."""
    if not actor.can("deal:read"):
        raise PermissionDenied("you may not read deals")
    row = deal_model.active_model_row(session)
    closed = repo.closed_deal_count(session)
    return {
        "model": row.label if row else COLD_START,
        "version": row.version if row else None,
        "trained_at": row.trained_at if row else None,
        "auc": row.auc if row else None,
        "brier": row.brier if row else None,
        "card": row.card if row else {},
        "closed_deals": int(closed or 0),
        "needed": deal_model.MIN_CLOSED_DEALS,
    }


def latest_backtest(session: Session) -> dict[str, Any] | None:
    """The latest recorded backtest's summary (``winner``: the method with the lowest MAPE),
    or None when none was recorded."""
    summary = repo.latest_backtest(session)
    if summary is None:
        return None
    return {
        **summary,
        "ran_at": datetime.fromisoformat(summary["ran_at"]),
        "periods": [
            {k: v if k in ("period", "open_deals") else to_cents(v) for k, v in r.items()}
            for r in summary["periods"]
        ],
    }
