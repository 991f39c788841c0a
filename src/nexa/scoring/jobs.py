"""Scoring jobs: the nightly batch rescore (recency features age) and the weekly retraining."""

from __future__ import annotations

from typing import Any

from huey import crontab

from nexa.core.actor import SYSTEM
from nexa.core.errors import Conflict
from nexa.worker import job, periodic


@job("lead.rescore", queue="ai", retries=0)
def rescore_leads(session: Any) -> dict[str, int]:
    from nexa.scoring.service import score_leads

    return score_leads(session, None, reason="nightly")


@job("lead.retrain", queue="ai", retries=0)
def retrain_lead_model(session: Any) -> dict[str, Any]:
    """Train a new version when outcomes arrived since the latest model was trained."""
    from nexa.scoring import repository as repo
    from nexa.scoring.service import KIND, train_lead_model

    latest = repo.latest_model(session, KIND)  # active, or kept out by the scorecard
    newest = repo.newest_close(session)
    if latest is not None and (newest is None or newest <= latest.trained_at):
        return {"trained": False, "reason": "no new outcomes since the latest model"}
    try:
        row = train_lead_model(session, SYSTEM)
    except Conflict as exc:
        return {"trained": False, "reason": str(exc)}
    return {"trained": True, "version": row.version, "auc": row.auc, "brier": row.brier}


@periodic("ai", crontab(minute="20", hour="2"), name="lead.rescore.nightly")
def nightly_rescore() -> None:
    rescore_leads()


@periodic("ai", crontab(minute="40", hour="3", day_of_week="0"), name="lead.retrain.weekly")
def weekly_retrain() -> None:
    retrain_lead_model()
