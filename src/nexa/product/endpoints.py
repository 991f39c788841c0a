"""/api/v1/products: the price book."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import Query

from nexa.api.deps import ActorDep, SessionDep
from nexa.api.records import record_router
from nexa.api.scopes import needs
from nexa.product.schemas import (
    ProductCreate,
    ProductOut,
    ProductPriceOut,
    ProductUpdate,
)
from nexa.product.service import ProductService
from nexa.product.shape import PRODUCTS

router = record_router(
    prefix="/products",
    noun="a product",
    plural="products",
    service=ProductService,
    create_model=ProductCreate,
    update_model=ProductUpdate,
    out_model=ProductOut,
    shaper=PRODUCTS,
)


@router.get(
    "/{record_id}/price",
    response_model=ProductPriceOut,
    summary="A product's price",
    openapi_extra=needs("product:read"),
)
def get_price(
    record_id: uuid.UUID,
    session: SessionDep,
    actor: ActorDep,
    currency: Annotated[str, Query(pattern=r"^[A-Z]{3}$", description="ISO 4217 code")],
) -> Any:
    product, price = ProductService(session, actor).price(record_id, currency)
    return ProductPriceOut(product_id=product.id, currency=currency, unit_price=price)
