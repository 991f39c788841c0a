"""/api/v1/products: the price book."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import Query
from sqlalchemy.orm import Session

from nexa.api.deps import ActorDep, SessionDep
from nexa.api.records import record_router
from nexa.models import Product
from nexa.product.schemas import (
    PriceOut,
    ProductCreate,
    ProductOut,
    ProductPriceOut,
    ProductUpdate,
)
from nexa.product.service import ProductService


def to_out(session: Session, product: Product) -> ProductOut:
    data = {c.key: getattr(product, c.key) for c in Product.__mapper__.column_attrs}
    prices = ProductService.prices_for_output(session, product)
    data["prices"] = [PriceOut.model_validate(p) for p in prices]
    return ProductOut.model_validate(data)


router = record_router(
    prefix="/products",
    noun="a product",
    plural="products",
    service=ProductService,
    create_model=ProductCreate,
    update_model=ProductUpdate,
    out_model=ProductOut,
    to_out=to_out,
)


@router.get("/{record_id}/price", response_model=ProductPriceOut, summary="A product's price")
def get_price(
    record_id: uuid.UUID,
    session: SessionDep,
    actor: ActorDep,
    currency: Annotated[str, Query(pattern=r"^[A-Z]{3}$", description="ISO 4217 code")],
) -> Any:
    product, price = ProductService(session, actor).price(record_id, currency)
    return ProductPriceOut(product_id=product.id, currency=currency, unit_price=price)
