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
    confidence,
    mape,
    past_periods,
    period_errors,
    period_label,
    predicted_close,
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


def _start_of(d: date) -> datetime:
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
def _predictions(
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
    return _predictions(context(session, now, cached=cached), [facts[deal_id]]).get(deal_id)


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
    values = _predictions(context(session, now, cached=cached), list(facts.values()))
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
        for deal_id, values in _predictions(ctx, list(facts.values())).items():
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
        closed_from=_start_of(period_start),
        closed_to=_start_of(period_end + timedelta(days=1)),
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
        "weighted_forecast": to_cents(sum(a * p for a, p in zip(amounts, probs, strict=True))),
        "high_confidence": to_cents(
            sum(a * p for a, p in zip(amounts, probs, strict=True) if p >= HIGH_CONFIDENCE_P)
        ),
        "high_confidence_p": HIGH_CONFIDENCE_P,
        "closed_won": to_cents(float(won_amount or 0)),
        "p10": to_cents(sim.p10),
        "p50": to_cents(sim.p50),
        "p90": to_cents(sim.p90),
        "simulations": sim.simulations,
        "seed": seed,
        "at_risk_deals": at_risk,
        "predictions": predictions,
        "backtest": latest_backtest(session),
    }


# ---- training --------------------------------------------------------------------------------
def _all_facts(session: Session) -> list[DealFacts]:
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
    facts = _all_facts(session)
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


# ---- backtest --------------------------------------------------------------------------------
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
    s = _start_of(start)
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
    ``record``: keep the summary (``latest_backtest``) so the forecast can name the winner."""
    if unit not in ("quarter", "month"):
        raise ValidationFailed("unit is quarter or month", field="unit")
    if not 1 <= periods <= 24:
        raise ValidationFailed("periods must be between 1 and 24", field="periods")
    now = now or utcnow()
    facts = _all_facts(session)
    originals = {f.deal_id: f for f in facts}
    history = History(facts)
    stages = repo.stage_map(session)
    windows = past_periods(now.date(), periods + 1, unit)
    first_start, first_end = windows[0]
    previous_actual = _won_in(
        _in_play(facts, stages, history.norms(_start_of(first_start)), first_start, first_end),
        originals,
        _start_of(first_start),
        _start_of(first_end + timedelta(days=1)),
    )
    rows: list[dict[str, Any]] = []
    for start, end in windows[1:]:
        s = _start_of(start)
        e = _start_of(end + timedelta(days=1))
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
        preds = _predictions(ctx, in_play, shown=False)
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
    result = {
        "unit": unit,
        "periods": rows,
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
