"""The spec's use cases rewritten with the SDK (sdk/examples/, shown in sdk/README.md) run
end to end against a live server, with the data created through the SDK itself."""

from __future__ import annotations

import importlib.util
import re
import sys
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest

from nexa_sdk import Client, Customer360, DealPrediction, ForecastModel, PipelineForecast
from tests.live.conftest import LiveServer

pytestmark = [pytest.mark.live, pytest.mark.sdk]

SDK = Path(__file__).resolve().parents[2] / "sdk"
EXAMPLES = SDK / "examples"


def load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"sdk_example_{name}", EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def next_quarter(today: date) -> tuple[str, date]:
    """The quarter after today's, and its first day."""
    q = (today.month - 1) // 3 + 1
    year, q = (today.year + 1, 1) if q == 4 else (today.year, q + 1)
    return f"{year}-Q{q}", date(year, (q - 1) * 3 + 1, 1)


def test_readme_shows_the_example_files_verbatim() -> None:
    readme = (SDK / "README.md").read_text()
    blocks = dict(re.findall(r"<!-- example: (\S+) -->\n```python\n(.*?)```", readme, re.S))
    assert set(blocks) == {p.name for p in EXAMPLES.glob("*.py")}
    for name, code in blocks.items():
        assert code == (EXAMPLES / name).read_text(), f"README block for {name} is stale"


def test_use_case_1_lead_router(crm: Client, sdk_server: LiveServer) -> None:
    uc1 = load("use_case_1_lead_router")
    crm.scoring.update_scorecard({"fit": {"industry": {"Software": 10}}})
    uc1.configure_routing(crm, sdr_queue=[sdk_server.ids["sales_rep"]])
    nurture = crm.lists.create(name="Nurture: low score", object_type="lead", kind="static")
    router = uc1.IntelligentLeadRouter(
        crm, nurture_list_id=nurture.id, fallback_owner_id=sdk_server.ids["manager"]
    )

    hot = router.process_incoming_lead(
        {
            "first_name": "Hedy",
            "last_name": "Lamarr",
            "email": "hedy@bigsoft.example.com",
            "title": "CEO",
            "company": "Bigsoft",
            "company_size": "5001+",
            "industry": "Software",
            "source": "referral",
            "description": "Needs 500 seats before the end of the quarter",
        }
    )
    warm = router.process_incoming_lead(
        {
            "last_name": "Warm",
            "email": "vp@midsoft.example.com",
            "title": "VP Sales",
            "company_size": "201-500",
            "industry": "Software",
            "source": "website",
        }
    )
    cold = router.process_incoming_lead({"last_name": "Cold", "email": "someone@gmail.com"})

    assert hot.score.score >= 80 > warm.score.score >= 60 > 50 > cold.score.score
    for processed, assign, priority, sla in (
        (hot, "top_performer", "urgent", 5),
        (warm, "round_robin", "high", 30),
        (cold, "sdr_queue", "normal", 240),
    ):
        assert processed.routing.rule.startswith(assign) or assign in processed.routing.rule
        assert (processed.routing.priority, processed.routing.sla_minutes) == (priority, sla)
        assert processed.lead.owner_id is not None  # routed, or handed to the fallback owner
        assert processed.lead.sla_priority == priority
    assert cold.lead.owner_id == cold.routing.owner_id
    assert str(cold.routing.owner_id) == sdk_server.ids["sales_rep"]  # the SDR queue
    members = {m.id for m in crm.lists.members(nurture.id).items}
    assert members == {cold.lead.id}
    assert "enrolled in nurture" in cold.automated_actions
    assert "enrolled in nurture" not in hot.automated_actions


def test_use_case_3_pipeline_forecast(crm: Client) -> None:
    uc3 = load("use_case_3_pipeline_forecast")
    period, first_day = next_quarter(date.today())
    inside = [
        ("Forecast A", "50000", "negotiation", 5),
        ("Forecast B", "20000", "proposal", 20),
        ("Forecast C", "8000", "qualification", 40),
        ("Forecast D", "12000", "prospecting", 60),
    ]
    made = {}
    for name, amount, stage, day in inside:
        deal = crm.deals.create(
            name=name, amount=amount, stage=stage, close_date=first_day + timedelta(days=day)
        )
        made[deal.id] = Decimal(amount)
    crm.deals.create(  # closes after the period: not in it
        name="Forecast later",
        amount="99000",
        stage="proposal",
        close_date=first_day + timedelta(days=200),
    )

    result = uc3.DealPredictionService(crm).predict_pipeline(period)
    forecast, predictions = result["forecast"], result["predictions"]
    assert {p["deal_id"] for p in predictions} == set(made)
    assert forecast["total_pipeline"] == sum(made.values())
    assert 0 < forecast["weighted_forecast"] < forecast["total_pipeline"]
    assert forecast["high_confidence"] <= forecast["weighted_forecast"]
    for p in predictions:
        assert 0 <= p["win_probability"] <= 1
        assert p["weighted_value"] <= p["value"]
    assert all(p["stage"] in uc3.LATE_STAGES for p in forecast["at_risk_deals"])

    server = uc3.DealPredictionService(crm).server_forecast(period)
    assert isinstance(server, PipelineForecast)
    assert {d.deal_id for d in server.predictions} == set(made)
    assert server.total_pipeline == forecast["total_pipeline"]
    assert server.p10 <= server.p50 <= server.p90 <= server.total_pipeline
    assert server.to_records if hasattr(server, "to_records") else True


def test_deal_prediction_example(crm: Client) -> None:
    example = load("deal_prediction")
    deal = crm.deals.create(name="Health check", amount="15000", stage="proposal")
    health = example.get_deal_health(crm, deal.id)
    assert health["deal"] == "Health check"
    assert health["stage_probability"] == 0.5
    assert health["win_probability"] is None or 0 <= health["win_probability"] <= 1
    assert health["health"] in ("healthy", "at risk")
    assert isinstance(health["recommended_actions"], list)


def test_customer_360(crm: Client) -> None:
    account = crm.accounts.create(name="Customer 360 GmbH")
    contact = crm.contacts.create(
        first_name="Karl", last_name="Benz", email="karl@c360.example", account_id=account.id
    )
    own = crm.deals.create(name="C360 own", primary_contact_id=contact.id, amount="1000")
    company = crm.deals.create(name="C360 company", account_id=account.id, amount="2000")
    crm.notes.create(body="Prefers calls", related_type="contact", related_id=contact.id)

    view = crm.customers.get_360(customer_id=contact.id)
    assert isinstance(view, Customer360)
    assert view.contact.id == contact.id
    assert view.account is not None and view.account.id == account.id
    assert view.account_rollup is not None and view.account_rollup.contacts == 1
    assert {d.id for d in view.deals} == {own.id, company.id}
    assert {d.id for d in view.open_deals} == {own.id, company.id}
    assert view.timeline
    just_contact = crm.customers.get_360(contact.id, include=["deal_history"])
    assert just_contact.account is None and len(just_contact.deals) == 2
    with pytest.raises(ValueError, match="support_tickets"):
        crm.customers.get_360(contact.id, include=["support_tickets"])


@pytest.mark.parametrize(
    ("model", "path"),
    [
        (PipelineForecast, "/forecast?period=2026"),
        (ForecastModel, "/forecast/model"),
        (DealPrediction, "/deals/{deal}/prediction"),
    ],
)
def test_hand_written_models_match_the_answers_exactly(
    crm: Client, sdk_server: LiveServer, model: Any, path: str
) -> None:
    """These SDK models (see nexa_sdk.insights) have exactly the answers' keys."""
    deal = crm.deals.create(name="Shape", amount="100", close_date="2026-06-30")
    url = sdk_server.base_url + "/api/v1" + path.format(deal=deal.id)
    body = httpx.get(url, headers=sdk_server.headers("admin"), timeout=30).json()
    assert set(body) == set(model.model_fields)
    model.model_validate(body)
    if model is PipelineForecast and body["predictions"]:
        from nexa_sdk import ForecastDeal

        assert set(body["predictions"][0]) == set(ForecastDeal.model_fields)
