"""/api/v1/orders: list, read, update, bin; made only from accepted quotes and won deals."""

from __future__ import annotations

import uuid

from fastapi import Response
from fastapi.routing import APIRoute

from nexa.api.crud import with_etag
from nexa.api.deps import ActorDep, SessionDep
from nexa.api.records import record_router
from nexa.api.scopes import needs
from nexa.core.schemas import Problem
from nexa.order import service
from nexa.order.schemas import OrderCreate, OrderOut, OrderUpdate
from nexa.order.shape import ORDERS

router = record_router(
    prefix="/orders",
    noun="an order",
    plural="orders",
    service=service.OrderService,
    create_model=OrderCreate,
    update_model=OrderUpdate,
    out_model=OrderOut,
    shaper=ORDERS,
)
# no bare create: an order comes from an accepted quote or a won deal
router.routes = [
    r
    for r in router.routes
    if not (isinstance(r, APIRoute) and r.path == "/orders" and "POST" in (r.methods or set()))
]


@router.post(
    "/from-deal/{deal_id}",
    response_model=OrderOut,
    status_code=201,
    summary="Make the order of a won deal (returns the existing one if any)",
    responses={200: {"model": OrderOut}, 409: {"model": Problem}},
    openapi_extra=needs("deal:read", "order:create"),
)
def order_from_deal(
    deal_id: uuid.UUID, session: SessionDep, actor: ActorDep, response: Response
) -> OrderOut:
    order, created = service.order_from_deal(session, actor, deal_id)
    if not created:
        response.status_code = 200
    with_etag(response, order.version)
    return ORDERS.one(session, order)
