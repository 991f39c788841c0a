"""The forecast over HTTP: scoping (a rep forecasts only their own deals), the weighted
arithmetic, a deal's prediction, training is for admins; the pages."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from nexa.core.actor import SYSTEM
from nexa.core.db import utcnow
from nexa.forecast import backtest as bt
from nexa.forecast import service
from nexa.models import Deal
from tests.factories.deal import make_deal

API = "/api/v1"


def _period() -> tuple[str, date]:
    today = utcnow().date()
    quarter = f"{today.year}-Q{(today.month - 1) // 3 + 1}"
    # a close date inside this quarter and not in the past
    return quarter, today


def test_a_rep_forecasts_only_their_own_deals(client: Any, db: Any, users: Any) -> None:
    period, today = _period()
    mine = make_deal(
        db, users.rep.actor, amount=Decimal("1000"), stage="proposal", close_date=today
    )
    theirs = make_deal(
        db, users.other_rep.actor, amount=Decimal("5000"), stage="proposal", close_date=today
    )
    db.commit()
    r = client.get(f"{API}/forecast", headers=users.rep.headers, params={"period": period})
    assert r.status_code == 200, r.text
    ids = {p["deal_id"] for p in r.json()["predictions"]}
    assert str(mine.id) in ids and str(theirs.id) not in ids
    r = client.get(f"{API}/forecast", headers=users.admin.headers, params={"period": period})
    ids = {p["deal_id"] for p in r.json()["predictions"]}
    assert {str(mine.id), str(theirs.id)} <= ids


def test_weighted_forecast_arithmetic(db: Any, users: Any) -> None:
    today = utcnow().date()
    rep = users.rep.actor
    a = make_deal(db, rep, amount=Decimal("1000"), stage="proposal", close_date=today)
    b = make_deal(db, rep, amount=Decimal("3000"), stage="negotiation", close_date=today)
    c = make_deal(db, rep, amount=Decimal("500"), stage="qualification", close_date=today)
    outside = make_deal(
        db, rep, amount=Decimal("9999"), stage="proposal", close_date=today + timedelta(days=400)
    )
    # b: a stored model probability; a and c: not scored (the stage probability stands in)
    for deal, p in ((a, None), (b, 0.9), (c, None)):
        deal.win_probability = p
    db.flush()
    result = service.predict_pipeline(db, rep, today, today, simulations=2000, seed=1)
    ids = {p["deal_id"] for p in result["predictions"]}
    assert ids == {a.id, b.id, c.id} and outside.id not in ids
    assert result["total_pipeline"] == Decimal("4500.00")
    # 1000 × 0.50 + 3000 × 0.90 + 500 × 0.25
    assert result["weighted_forecast"] == Decimal("3325.00")
    assert result["high_confidence"] == Decimal("2700.00")  # only b has p ≥ 0.7
    assert Decimal(0) <= result["p10"] <= result["p50"] <= result["p90"] <= Decimal("4500")


def test_forecast_refuses_bad_periods(client: Any, users: Any) -> None:
    h = users.admin.headers
    r = client.get(f"{API}/forecast", headers=h, params={"period": "Q9"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "period"
    r = client.get(
        f"{API}/forecast", headers=h, params={"start": "2026-12-01", "end": "2026-11-01"}
    )
    assert r.status_code == 422
    r = client.get(f"{API}/forecast", headers=h, params={"start": "2026-12-01"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "end"
    r = client.get(f"{API}/forecast", headers=h, params={"simulations": 0})
    assert r.status_code == 422


def test_deal_prediction_is_the_stored_one(client: Any, db: Any, users: Any) -> None:
    deal = make_deal(db, users.rep.actor, amount=Decimal("2000"), stage="proposal")
    db.commit()
    stored = db.get(Deal, deal.id)
    assert stored.win_probability == 0.5  # the create subscriber: no model, the stage's
    assert stored.win_model_version == service.STAGE
    r = client.get(f"{API}/deals/{deal.id}/prediction", headers=users.rep.headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["win_probability"] == 0.5 and body["win_factors"]
    assert any(f["rule"] == "single_threaded" for f in body["risk_factors"])
    # no model: the deal's own close date (none here)
    assert body["predicted_close_date"] is None and 0 <= body["prediction_confidence"] <= 1
    r = client.get(f"{API}/deals/{deal.id}/prediction", headers=users.other_rep.headers)
    assert r.status_code == 404


def test_stage_moves_rescore_without_touching_the_version(client: Any, db: Any, users: Any) -> None:
    deal = make_deal(db, users.rep.actor, amount=Decimal("2000"), stage="qualification")
    db.commit()
    version = db.get(Deal, deal.id).version
    before = db.get(Deal, deal.id).win_probability
    r = client.post(
        f"{API}/deals/{deal.id}/stage", headers=users.rep.headers, json={"stage": "negotiation"}
    )
    assert r.status_code == 200, r.text
    db.expire_all()
    after = db.get(Deal, deal.id)
    assert after.win_probability is not None and after.win_probability > before
    assert after.version == version + 1  # the move itself, not the prediction


def test_training_is_for_admins_and_refuses_gracefully(client: Any, users: Any) -> None:
    r = client.post(f"{API}/forecast/train", headers=users.manager.headers)
    assert r.status_code == 403
    r = client.post(f"{API}/forecast/train", headers=users.admin.headers)
    assert r.status_code == 200
    body = r.json()
    assert body["trained"] is False and "closed deals" in body["message"]
    r = client.get(f"{API}/forecast/model", headers=users.rep.headers)
    assert r.status_code == 200 and r.json()["model"] == "cold-start"


def test_rescore_open_deals_job(db: Any, users: Any) -> None:
    make_deal(db, users.rep.actor, amount=Decimal("100"), stage="proposal")
    make_deal(db, users.rep.actor, amount=Decimal("100"), stage="closed_won")
    assert service.rescore_open_deals(db) >= 1


# ---- pages -----------------------------------------------------------------------------------
def test_forecast_page_shows_the_figures_and_at_risk_deals(
    client: Any, db: Any, users: Any
) -> None:
    from tests.web.conftest import sign_in

    today = utcnow().date()
    deal = make_deal(
        db,
        users.rep.actor,
        name="Overdue renewal",
        amount=Decimal("4000"),
        stage="negotiation",
        close_date=today - timedelta(days=3),
    )
    db.commit()
    sign_in(client, users.rep)
    r = client.get("/forecast")
    assert r.status_code == 200, r.text
    html = r.text
    assert 'data-testid="fc-p10"' in html and 'data-testid="fc-p90"' in html
    assert f'href="/deals/{deal.id}"' in html and "past" in html  # at risk: close date past
    r = client.get("/forecast", params={"period": "nonsense"})
    assert r.status_code == 422 and "A period is" in r.text


def test_the_forecast_says_which_method_won_the_latest_backtest(
    client: Any, db: Any, users: Any
) -> None:
    from tests.forecast.history import NOW, steady_history
    from tests.web.conftest import sign_in

    sign_in(client, users.rep)
    r = client.get("/forecast")
    assert r.status_code == 200 and "No backtest recorded yet" in r.text
    assert client.get(f"{API}/forecast", headers=users.rep.headers).json()["backtest"] is None
    steady_history(db, [date(2025, 10, 1), date(2026, 1, 1), date(2026, 4, 1), date(2026, 7, 1)])
    bt.backtest(db, 3, now=NOW, record=True)
    db.commit()
    body = client.get(f"{API}/forecast", headers=users.rep.headers).json()["backtest"]
    assert body["winner"] == "last_period" and body["last_period_mape"] == 0.0
    assert body["stage_mape"] == 2.0 and body["coverage_p10_p90"] == 0.0
    assert body["periods"][0] == {
        "period": "2026-Q1",
        "open_deals": 4,
        "forecast": body["periods"][0]["forecast"],
        "p10": body["periods"][0]["p10"],
        "p90": body["periods"][0]["p90"],
        "baseline_forecast": "30000.00",
        "last_period_forecast": "10000.00",
        "actual": "10000.00",
    }
    html = client.get("/forecast").text
    assert 'data-testid="fc-backtest-winner">last period&#39;s actual<' in html
    assert (
        "did worse than last period&#39;s actual in this backtest, so the forecast above uses"
        in html
    )
    assert 'data-testid="fc-method">by the last period&#39;s actual<' in html
    api = client.get(f"{API}/forecast", headers=users.rep.headers).json()
    assert api["method"] == "last_period" and api["forecast"] == api["last_period_forecast"]
    assert 'data-testid="fc-forecast">' in html and api["band"] == "backtest"
    assert 'data-testid="fc-band">The range comes from how actuals compared' in html
    assert 'data-testid="fc-stage-mape">200.0 %<' in html
    assert 'data-testid="fc-last-period-mape">0.0 %<' in html


def test_deal_page_panel(client: Any, db: Any, users: Any) -> None:
    from tests.web.conftest import sign_in

    deal = make_deal(db, users.rep.actor, amount=Decimal("4000"), stage="proposal")
    db.commit()
    sign_in(client, users.rep)
    page = client.get(f"/deals/{deal.id}")
    assert page.status_code == 200 and f"/deals/{deal.id}/prediction" in page.text
    r = client.get(f"/deals/{deal.id}/prediction", headers={"HX-Request": "true"})
    assert r.status_code == 200 and 'data-testid="win-probability"' in r.text
    assert "Single-threaded" in r.text
    sign_in(client, users.other_rep)
    assert client.get(f"/deals/{deal.id}/prediction").status_code == 404


def test_system_actor_sees_everything(db: Any) -> None:
    today = utcnow().date()
    make_deal(db, SYSTEM, amount=Decimal("10"), stage="proposal", close_date=today)
    result = service.predict_pipeline(db, SYSTEM, today, today, simulations=10)
    assert result["deals"] >= 1
