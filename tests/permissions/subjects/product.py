from __future__ import annotations

import uuid
from typing import Any

from tests.permissions.subjects import Request, Subject


def _product(db: Any, _owner_id: Any) -> Any:
    from tests.factories.product import make_product

    return make_product(db, prices={"EUR": "10.00"})


def _record_request(route: Any, db: Any, record: Any, cast: Any) -> Request | None:
    if route.path.endswith("/price"):
        return route.path.replace("{}", str(record.id)), None, {"currency": "EUR"}
    return None


SUBJECTS = [
    Subject(
        "product",
        _product,
        update_body={"description": "matrix"},
        create_body=lambda _db, _cast: {
            "name": "Matrix product",
            "sku": f"M-{uuid.uuid4().hex[:8]}",
            "prices": [{"currency": "USD", "unit_price": "1.00"}],
        },
        record_request=_record_request,
        list_path="/api/v1/products",
        reassignable=False,
    )
]
