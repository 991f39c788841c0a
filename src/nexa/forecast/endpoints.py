"""/api/v1/forecast, /api/v1/deals/{id}/prediction and /api/v1/forecast/train: parse, call
one service, answer."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from fastapi import APIRouter, Query

from nexa.api.deps import ActorDep, SessionDep
from nexa.api.scopes import needs
from nexa.core.db import utcnow
from nexa.core.errors import ValidationFailed
from nexa.core.events import jsonable
from nexa.forecast import service
from nexa.forecast.schemas import DealPrediction, ForecastModel, ForecastTraining, PipelineForecast
from nexa.intelligence.forecast import parse_period

router = APIRouter(tags=["forecast"])


def period_bounds(period: str | None, start: date | None, end: date | None) -> tuple[date, date]:
    """``period`` (2026-Q4, 2026-11, 2026) or ``start`` and ``end``; default: this quarter."""
    if period is not None:
        bounds = parse_period(period)
        if bounds is None:
            raise ValidationFailed(
                "a period is a quarter (2026-Q4), a month (2026-11) or a year", field="period"
            )
        return bounds
    if start is not None or end is not None:
        if start is None or end is None:
            missing = "start" if start is None else "end"
            raise ValidationFailed("give both start and end", field=missing)
        return start, end
    today = utcnow().date()
    bounds = parse_period(f"{today.year}-Q{(today.month - 1) // 3 + 1}")
    assert bounds is not None
    return bounds


@router.get(
    "/forecast",
    response_model=PipelineForecast,
    summary="The pipeline forecast of a period (deals you may read)",
    openapi_extra=needs("deal:read"),
)
def get_forecast(
    session: SessionDep,
    actor: ActorDep,
    period: str | None = Query(None, max_length=20, description="2026-Q4, 2026-11 or 2026"),
    start: date | None = None,
    end: date | None = None,
    simulations: int = Query(10000, ge=1, le=service.MAX_SIMULATIONS),
    seed: int = Query(0, ge=0, le=2**31 - 1),
) -> Any:
    first, last = period_bounds(period, start, end)
    # money as strings, like every other amount of the API
    return jsonable(
        service.predict_pipeline(session, actor, first, last, simulations=simulations, seed=seed)
    )


@router.get(
    "/forecast/model",
    response_model=ForecastModel,
    summary="The active deal win model's card",
    openapi_extra=needs("deal:read"),
)
def get_model(session: SessionDep, actor: ActorDep) -> Any:
    return jsonable(service.model_status(session, actor))


@router.post(
    "/forecast/train",
    response_model=ForecastTraining,
    summary="Train the deal win model (admins)",
    openapi_extra=needs("settings:write"),
)
def train(session: SessionDep, actor: ActorDep) -> Any:
    return jsonable(service.train_deal_model(session, actor))


@router.get(
    "/deals/{deal_id}/prediction",
    response_model=DealPrediction,
    summary="A deal's win prediction (the one stored on the deal, which every page shows)",
    openapi_extra=needs("deal:read"),
)
def deal_prediction(deal_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> Any:
    return jsonable(service.deal_prediction(session, actor, deal_id))
