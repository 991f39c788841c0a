"""Deals, and the pipeline and exchange-rate settings that live in the deal domain."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from nexa.core.actor import SYSTEM
from tests.permissions.subjects import Request, Subject


def _deal(db: Any, owner_id: Any) -> Any:
    from tests.factories.deal import make_deal

    return make_deal(db, SYSTEM, owner_id=owner_id)


def _line_item(db: Any, deal: Any) -> Any:
    from nexa.deal.line_items import add_line_item
    from nexa.deal.schemas import LineItemCreate

    return add_line_item(db, SYSTEM, deal.id, LineItemCreate(name="Seat", unit_price=Decimal("10")))


def _deal_request(route: Any, db: Any, record: Any, cast: Any) -> Request | None:
    path = route.path.replace("{}", str(record.id), 1)
    if route.path == "/api/v1/deals/{}/stage":
        return path, {"stage": "proposal"}, None
    if route.path == "/api/v1/deals/{}/line-items" and route.method == "POST":
        return path, {"name": "Extra", "unit_price": "5"}, None
    if route.path == "/api/v1/deals/{}/line-items/{}":
        item = _line_item(db, record)
        path = path.replace("{}", str(item.id), 1)
        return path, ({"quantity": "2"} if route.method == "PATCH" else None), None
    return None


def _settings_request(route: Any, db: Any, cast: Any) -> Request | None:
    from nexa.deal.pipelines import create_pipeline
    from nexa.deal.schemas import PipelineCreate

    tag = uuid.uuid4().hex[:8]
    if route.path == "/api/v1/pipelines" and route.method == "POST":
        return route.path, {"name": f"Pipeline {tag}"}, None
    if route.path.startswith("/api/v1/pipelines/{}"):
        pipeline, stages = create_pipeline(db, SYSTEM, PipelineCreate(name=f"Pipe {tag}"))
        path = route.path.replace("{}", str(pipeline.id))
        if route.method == "PATCH":
            return path, {"name": f"Renamed {tag}"}, None
        body = [
            {"key": s.key, "name": s.name, "probability": s.probability, "kind": s.kind}
            for s in stages
        ]
        return path, {"stages": body}, None
    if route.path == "/api/v1/exchange-rates/{}":
        return route.path.replace("{}", "EUR"), {"rate": "1.1"}, None
    return None


SUBJECTS = [
    Subject(
        "deal",
        _deal,
        update_body={"description": "matrix"},
        create_body=lambda _db, _cast: {"name": f"Deal {uuid.uuid4().hex[:8]}"},
        record_request=_deal_request,
        other_request=_settings_request,
        list_path="/api/v1/deals",
        reassignable=True,
    )
]
