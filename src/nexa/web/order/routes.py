"""The order page: line items and totals, where the order came from (quote, deal, account)
and the status moves the order service allows (confirm, fulfil, cancel). Routes parse, call
``nexa.order.service`` and render; the allowed moves are the service's own table."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from nexa.core.actor import Actor
from nexa.core.errors import DomainError, ValidationFailed
from nexa.order.schemas import OrderUpdate
from nexa.order.service import TRANSITIONS, OrderService
from nexa.web.csrf import verify_csrf
from nexa.web.forms import errors_of
from nexa.web.generic import ObjectView, detail_context, object_view
from nexa.web.objects import OBJECTS
from nexa.web.pages import WebActor, WebSession, render

router = APIRouter(prefix="/orders")
CSRF = [Depends(verify_csrf)]
ORDERS = OBJECTS["orders"]
# target status -> (button label, whether it is the destructive one)
LABELS = {
    "confirmed": ("Confirm", False),
    "fulfilled": ("Mark fulfilled", False),
    "cancelled": ("Cancel order", True),
}
ORDER = ("confirmed", "fulfilled", "cancelled")


def status_actions(actor: Actor, status: str) -> list[tuple[str, str, bool]]:
    """(target status, label, destructive) for the moves the order service allows."""
    if not actor.can("order:write"):
        return []
    allowed = TRANSITIONS.get(status, set())
    return [(s, *LABELS[s]) for s in ORDER if s in allowed]


@object_view("order")
class OrderView(ObjectView):
    template = "order/detail.html"

    def get_extra_context(
        self, request: Request, session: Session, actor: Actor, record: Any, row: dict[str, Any]
    ) -> dict[str, Any]:
        """Names of the quote, deal, account and contact come with the page's ``names`` (one
        batch per record type, readable records only)."""
        return {"status_actions": status_actions(actor, record.status), "action_error": None}


@router.post("/{order_id}/status", dependencies=CSRF)
def change_status(
    request: Request,
    order_id: uuid.UUID,
    session: WebSession,
    actor: WebActor,
    status: Annotated[str, Form(max_length=40)] = "",
    version: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    try:
        body = OrderUpdate.model_validate({"status": status or None})
        if body.status is None:
            raise ValidationFailed("choose the new status", field="status")
        with session.begin_nested():
            order = OrderService(session, actor).update(
                order_id, body, if_match=int(version) if version.isdigit() else None
            )
    except (ValidationError, DomainError) as exc:
        errors = errors_of(exc)
        message = errors.get("status") or next(iter(errors.values()), "choose a status")
        ctx = detail_context(request, session, actor, ORDERS, order_id)
        ctx.update(action_error=message)
        code = exc.status if isinstance(exc, DomainError) else 422
        return render(request, "order/detail.html", actor, session, status_code=code, **ctx)
    request.session["flash"] = f"Order {order.number} is {order.status}"
    return RedirectResponse(f"/orders/{order.id}", status_code=303)
