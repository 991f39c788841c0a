from __future__ import annotations

from typing import Any

from tests.permissions.subjects import Request, Subject


def _order(db: Any, owner_id: Any) -> Any:
    from tests.factories.order import make_order

    return make_order(db, owner_id=owner_id)


def _other_request(route: Any, db: Any, cast: Any) -> Request | None:
    if route.path == "/api/v1/orders/from-deal/{}":
        from tests.factories.order import insert_deal

        deal = insert_deal(db, owner_id=cast.actor.id, stage="closed_won")
        return route.path.replace("{}", str(deal.id)), None, None
    return None


SUBJECTS = [
    Subject(
        "order",
        _order,
        update_body={"notes": "matrix"},
        other_request=_other_request,
        list_path="/api/v1/orders",
        reassignable=True,
    )
]
