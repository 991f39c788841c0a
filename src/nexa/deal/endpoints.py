"""/api/v1/deals, /api/v1/pipelines and /api/v1/exchange-rates: parse, call one service,
shape the answer."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Path, Response

from nexa.api.deps import ActorDep, SessionDep
from nexa.api.records import PROBLEMS, record_router
from nexa.api.scopes import needs
from nexa.core.schemas import Problem
from nexa.deal import currency as deal_currency
from nexa.deal import line_items as deal_lines
from nexa.deal import pipelines as deal_pipelines
from nexa.deal import reports as deal_reports
from nexa.deal import stages as deal_stages
from nexa.deal.schemas import (
    DealCreate,
    DealOut,
    DealUpdate,
    ExchangeRateIn,
    ExchangeRateOut,
    LineItemCreate,
    LineItemOut,
    LineItemUpdate,
    PipelineCreate,
    PipelineOut,
    PipelineReport,
    PipelineUpdate,
    StageChangeOut,
    StageMove,
    StageOut,
    StagesReplace,
)
from nexa.deal.service import DealService
from nexa.deal.shape import DEALS
from nexa.models import Pipeline, PipelineStage


def _fixed_routes(deals: APIRouter) -> None:
    """Fixed paths, registered before "/deals/{record_id}" would take them."""

    @deals.get(
        "/pipeline",
        response_model=PipelineReport,
        summary="Pipeline totals per stage",
        openapi_extra=needs("deal:read"),
    )
    def deal_pipeline_report(
        session: SessionDep,
        actor: ActorDep,
        pipeline_id: uuid.UUID | None = None,
        owner_id: uuid.UUID | None = None,
        close_from: date | None = None,
        close_to: date | None = None,
    ) -> Any:
        return deal_reports.pipeline_report(
            session,
            actor,
            pipeline_id=pipeline_id,
            owner_id=owner_id,
            close_from=close_from,
            close_to=close_to,
        )


deals = record_router(
    prefix="/deals",
    noun="a deal",
    plural="deals",
    service=DealService,
    create_model=DealCreate,
    update_model=DealUpdate,
    out_model=DealOut,
    shaper=DEALS,
    fixed_routes=_fixed_routes,
    names={"list": "list_deals"},
)


@deals.post(
    "/{deal_id}/stage",
    response_model=DealOut,
    summary="Move a deal to another stage",
    openapi_extra=needs("deal:read", "deal:write"),
)
def move_deal_stage(
    deal_id: uuid.UUID, body: StageMove, session: SessionDep, actor: ActorDep, response: Response
) -> DealOut:
    deal = deal_stages.move_deal_stage(
        session,
        actor,
        deal_id,
        body.stage,
        lost_reason=body.lost_reason,
        probability=body.probability,
    )
    response.headers["ETag"] = f'"{deal.version}"'
    return DEALS.one(session, deal)


@deals.get(
    "/{deal_id}/stage-history",
    response_model=list[StageChangeOut],
    summary="A deal's stage changes, oldest first",
    openapi_extra=needs("deal:read"),
)
def deal_stage_history(deal_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> Any:
    return [
        StageChangeOut.model_validate(c) for c in deal_stages.stage_history(session, actor, deal_id)
    ]


@deals.get(
    "/{deal_id}/line-items",
    response_model=list[LineItemOut],
    summary="Line items",
    openapi_extra=needs("deal:read"),
)
def list_line_items(deal_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> Any:
    return [
        LineItemOut.model_validate(i) for i in deal_lines.list_line_items(session, actor, deal_id)
    ]


@deals.post(
    "/{deal_id}/line-items",
    response_model=LineItemOut,
    status_code=201,
    summary="Add a line",
    openapi_extra=needs("deal:read", "deal:write"),
)
def add_line_item(
    deal_id: uuid.UUID, body: LineItemCreate, session: SessionDep, actor: ActorDep
) -> Any:
    return LineItemOut.model_validate(deal_lines.add_line_item(session, actor, deal_id, body))


@deals.patch(
    "/{deal_id}/line-items/{item_id}",
    response_model=LineItemOut,
    summary="Change a line",
    openapi_extra=needs("deal:read", "deal:write"),
)
def update_line_item(
    deal_id: uuid.UUID,
    item_id: uuid.UUID,
    body: LineItemUpdate,
    session: SessionDep,
    actor: ActorDep,
) -> Any:
    item = deal_lines.update_line_item(session, actor, deal_id, item_id, body)
    return LineItemOut.model_validate(item)


@deals.delete(
    "/{deal_id}/line-items/{item_id}",
    status_code=204,
    summary="Remove a line",
    openapi_extra=needs("deal:read", "deal:write"),
)
def delete_line_item(
    deal_id: uuid.UUID, item_id: uuid.UUID, session: SessionDep, actor: ActorDep
) -> Response:
    deal_lines.delete_line_item(session, actor, deal_id, item_id)
    return Response(status_code=204)


# ---- pipelines -------------------------------------------------------------------------------
pipelines = APIRouter(prefix="/pipelines", tags=["pipelines"], responses=PROBLEMS)


def pipeline_out(pipeline: Pipeline, stages: list[PipelineStage]) -> PipelineOut:
    return PipelineOut(
        id=pipeline.id,
        name=pipeline.name,
        is_default=pipeline.is_default,
        position=pipeline.position,
        active=pipeline.active,
        version=pipeline.version,
        stages=[StageOut.model_validate(s) for s in sorted(stages, key=lambda s: s.position)],
    )


@pipelines.get(
    "",
    response_model=list[PipelineOut],
    summary="Pipelines with their stages",
    openapi_extra=needs("deal:read"),
)
def list_pipelines(session: SessionDep, actor: ActorDep) -> Any:
    return [pipeline_out(p, s) for p, s in deal_pipelines.list_pipelines(session, actor)]


@pipelines.post(
    "",
    response_model=PipelineOut,
    status_code=201,
    summary="Create a pipeline",
    responses={409: {"model": Problem}},
    openapi_extra=needs("settings:write"),
)
def create_pipeline(body: PipelineCreate, session: SessionDep, actor: ActorDep) -> Any:
    return pipeline_out(*deal_pipelines.create_pipeline(session, actor, body))


@pipelines.patch(
    "/{pipeline_id}",
    response_model=PipelineOut,
    summary="Rename, make default, (de)activate",
    responses={409: {"model": Problem}},
    openapi_extra=needs("settings:write"),
)
def update_pipeline(
    pipeline_id: uuid.UUID, body: PipelineUpdate, session: SessionDep, actor: ActorDep
) -> Any:
    return pipeline_out(*deal_pipelines.update_pipeline(session, actor, pipeline_id, body))


@pipelines.put(
    "/{pipeline_id}/stages",
    response_model=PipelineOut,
    summary="Replace the ordered stage list",
    responses={409: {"model": Problem}},
    openapi_extra=needs("settings:write"),
)
def replace_stages(
    pipeline_id: uuid.UUID, body: StagesReplace, session: SessionDep, actor: ActorDep
) -> Any:
    return pipeline_out(*deal_pipelines.replace_stages(session, actor, pipeline_id, body.stages))


# ---- exchange rates --------------------------------------------------------------------------
rates = APIRouter(prefix="/exchange-rates", tags=["exchange rates"], responses=PROBLEMS)


@rates.get(
    "",
    response_model=list[ExchangeRateOut],
    summary="Exchange rates to the org currency",
    openapi_extra=needs("deal:read"),
)
def list_exchange_rates(session: SessionDep, actor: ActorDep) -> Any:
    return [
        ExchangeRateOut.model_validate(r) for r in deal_currency.list_exchange_rates(session, actor)
    ]


@rates.put(
    "/{currency}",
    response_model=ExchangeRateOut,
    summary="Set an exchange rate",
    openapi_extra=needs("settings:write"),
)
def set_exchange_rate(
    currency: Annotated[str, Path(pattern=r"^[A-Za-z]{3}$")],
    body: ExchangeRateIn,
    session: SessionDep,
    actor: ActorDep,
) -> Any:
    return ExchangeRateOut.model_validate(
        deal_currency.set_exchange_rate(session, actor, currency, body)
    )


router = APIRouter()
router.include_router(deals)
router.include_router(pipelines)
router.include_router(rates)
