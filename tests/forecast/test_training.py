"""Training the win model: refuses with too little history, trains and reports on enough."""

from __future__ import annotations

from typing import Any

from nexa.core.actor import SYSTEM
from nexa.forecast import service
from nexa.intelligence import deal_model
from tests.forecast.history import NOW, synthetic_history


def test_training_refuses_with_too_few_closed_deals(db: Any) -> None:
    synthetic_history(db, 10)
    report = service.train_deal_model(db, SYSTEM, now=NOW)
    assert report["trained"] is False
    assert report["closed_deals"] == 10 and report["needed"] == deal_model.MIN_CLOSED_DEALS
    assert "10 closed deals" in report["message"] and "30 more" in report["message"]
    assert deal_model.active_model_row(db) is None


def test_training_on_80_closed_deals_reports_auc_and_scores_open_deals(db: Any) -> None:
    synthetic_history(db, 80)
    report = service.train_deal_model(db, SYSTEM, now=NOW)
    print(report["message"], report["auc"], report["brier"], report["card"]["data"])
    assert report["trained"] is True, report["message"]
    assert report["version"] == 1
    assert report["auc"] is not None and 0.0 <= report["auc"] <= 1.0
    assert 0.0 <= report["brier"] <= 1.0
    card = report["card"]
    assert card["data"]["closed_deals"] == 80 and card["top_features"]
    row = deal_model.active_model_row(db)
    assert row is not None and row.status == "active" and row.kind == "deal_win"
    again = service.train_deal_model(db, SYSTEM, now=NOW)
    assert again["version"] == 2
    db.refresh(row)
    assert row.status == "retired"
    active = deal_model.active_model_row(db)
    assert active is not None and active.version == 2
