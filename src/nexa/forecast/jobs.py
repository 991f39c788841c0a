"""Background jobs of the forecast: the nightly rescore of open deals (time passes: deals
stall and close dates slip without any event), the weekly retraining and the weekly backtest
whose winner and residuals the forecast page uses."""

from __future__ import annotations

from typing import Any

from huey import crontab

from nexa.core.actor import SYSTEM
from nexa.forecast import backtest, service
from nexa.worker import job, periodic


@job("forecast.rescore_open_deals", queue="ai", retries=0)
def rescore_open_deals(session: Any) -> int:
    return service.rescore_open_deals(session)


@job("forecast.train_deal_model", queue="ai", retries=0)
def train_deal_model(session: Any) -> dict[str, Any]:
    report = service.train_deal_model(session, SYSTEM)
    return {k: report[k] for k in ("trained", "message", "version", "auc", "brier", "rescored")}


@job("forecast.backtest", queue="ai", retries=0)
def record_backtest(session: Any) -> dict[str, Any]:
    result = backtest.backtest(session, backtest.PERIODS_JOB, record=True)
    return {k: result[k] for k in ("winner", "mape", "stage_mape", "last_period_mape")}


@periodic("ai", crontab(minute="20", hour="2"), name="forecast.rescore.nightly")
def nightly_rescore() -> None:
    """Every night: rescore every open deal."""
    rescore_open_deals()


@periodic("ai", crontab(minute="40", hour="3", day_of_week="0"), name="forecast.train.weekly")
def weekly_training() -> None:
    """Every Sunday night: retrain on the closed deals (refuses quietly with too few), then
    replay the past quarters so the forecast uses the method that did best."""
    train_deal_model()
    record_backtest()
