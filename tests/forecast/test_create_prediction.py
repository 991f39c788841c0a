"""The prediction a deal gets when it is created knows its stage: the deal's first
stage-history row is written before ``deal.created`` is announced, so the rescore that
event triggers sees the deal in its stage (before, with a model in use, it ran first and
saw no stage at all, until the next event or the nightly rescore put it right)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from nexa.core.actor import SYSTEM
from nexa.core.db import utcnow
from nexa.forecast import service
from nexa.intelligence import deal_model
from nexa.models import Deal
from tests.factories.deal import make_deal
from tests.forecast.history import synthetic_history


def _stored(db: Any, deal_id: Any) -> tuple[Any, ...]:
    db.flush()
    deal = db.get(Deal, deal_id)
    db.refresh(deal)
    return (deal.win_probability, deal.win_model_version, deal.predicted_close_date)


def test_the_prediction_made_at_create_is_the_one_a_rescore_makes(db: Any, users: Any) -> None:
    synthetic_history(db, 80)
    report = service.train_deal_model(db, SYSTEM)
    assert report["trained"], report["message"]
    row = deal_model.active_model_row(db)
    assert row is not None
    row.card = {**row.card, "beats_stage": True}  # the model's figure is the one shown
    db.flush()
    close = utcnow().date() + timedelta(days=20)
    for stage in ("qualification", "negotiation"):
        deal = make_deal(db, users.rep.actor, amount=Decimal("9000"), stage=stage, close_date=close)
        at_create = _stored(db, deal.id)
        assert at_create[0] is not None, "no prediction stored at create"
        service.refresh_deal(db, deal.id)
        assert _stored(db, deal.id) == at_create, stage
