from __future__ import annotations

from typing import Any

from tests.permissions.subjects import Request, Subject


def _quote(db: Any, owner_id: Any) -> Any:
    from tests.factories.quote import make_quote

    return make_quote(db, owner_id=owner_id)


def _record_request(route: Any, db: Any, record: Any, cast: Any) -> Request | None:
    """Put the quote in the state each action needs (sent to accept/decline/revise)."""
    from nexa.core.db import utcnow

    path = route.path.replace("{}", str(record.id))
    if route.path.endswith(("/accept", "/decline", "/revise")):
        record.status, record.sent_at = "sent", utcnow()
        db.flush()
    if route.path.endswith("/decline"):
        return path, {"reason": "matrix"}, None
    return None


def _other_request(route: Any, db: Any, cast: Any) -> Request | None:
    if route.path == "/api/v1/quotes/from-deal/{}":
        from tests.factories.order import insert_deal

        deal = insert_deal(db, owner_id=cast.actor.id)
        return route.path.replace("{}", str(deal.id)), None, None
    if route.path == "/api/v1/quotes/template" and route.method == "PUT":
        return route.path, {"html": "<p>{{ quote.number }}</p>"}, None
    return None


SUBJECTS = [
    Subject(
        "quote",
        _quote,
        update_body={"notes": "matrix"},
        create_body=lambda _db, _cast: {"name": "Matrix quote", "currency": "USD"},
        record_request=_record_request,
        other_request=_other_request,
        list_path="/api/v1/quotes",
        reassignable=True,
    )
]
