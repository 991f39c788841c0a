"""Use Case 3: AI-powered deal prediction — the pipeline forecast of a period, with the Nexa SDK.

Each open deal closing in the period gets the win model's probability (trained on your own
closed deals; the stage probability until there are enough), its risk factors and predicted
close date; the forecast adds them up. ``server_forecast`` asks the server for the same
figures plus a Monte Carlo range (p10/p50/p90) of the revenue.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from nexa_sdk import Client, PipelineForecast

OPEN_STAGES = ["prospecting", "qualification", "proposal", "negotiation"]
LATE_STAGES = ["proposal", "negotiation"]


class DealPredictionService:
    def __init__(self, crm: Client) -> None:
        self.crm = crm

    def predict_pipeline(self, forecast_period: str) -> dict[str, Any]:
        # Every open deal closing in the period ("2026-Q4", "2026-11" or "2026"), all pages
        deals = self.crm.deals.iterate(stage=OPEN_STAGES, close_date_range=forecast_period)

        predictions = []
        for deal in deals:
            prediction = self.crm.deals.predict(deal_id=deal.id)
            value = Decimal(deal.amount_org or 0)
            win_probability = (
                prediction.win_probability
                if prediction.win_probability is not None
                else deal.probability / 100
            )
            predictions.append(
                {
                    "deal_id": deal.id,
                    "name": deal.name,
                    "value": value,
                    "stage": deal.stage,
                    "win_probability": win_probability,
                    "weighted_value": value * Decimal(str(win_probability)),
                    "risk_factors": prediction.risk_factors,
                    "predicted_close": prediction.predicted_close_date,
                    "confidence": prediction.confidence or 0.0,
                }
            )

        # Aggregate forecast
        forecast = {
            "period": forecast_period,
            "total_pipeline": sum((p["value"] for p in predictions), Decimal(0)),
            "weighted_forecast": sum((p["weighted_value"] for p in predictions), Decimal(0)),
            "high_confidence": sum(
                (p["weighted_value"] for p in predictions if p["confidence"] > 0.8), Decimal(0)
            ),
            "at_risk_deals": [
                p for p in predictions if p["win_probability"] < 0.3 and p["stage"] in LATE_STAGES
            ],
        }
        return {"forecast": forecast, "predictions": predictions}

    def server_forecast(self, forecast_period: str) -> PipelineForecast:
        """The same forecast computed by the server, with a p10/p50/p90 revenue range."""
        return self.crm.deals.predict_pipeline(forecast_period, simulations=2000, seed=7)
