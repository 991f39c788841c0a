"""What of a product leaves the service (API, web, events): see record/shapes.py."""

from __future__ import annotations

from sqlalchemy.orm import Session

from nexa.models import Product
from nexa.product.schemas import PriceOut, ProductOut
from nexa.product.service import ProductService
from nexa.record.shapes import Shaper, register


def product_out(session: Session, product: Product) -> ProductOut:
    data = {c.key: getattr(product, c.key) for c in Product.__mapper__.column_attrs}
    prices = ProductService.prices_for_output(session, product)
    data["prices"] = [PriceOut.model_validate(p) for p in prices]
    return ProductOut.model_validate(data)


PRODUCTS = register(Shaper("product", ProductOut, to_out=product_out))
