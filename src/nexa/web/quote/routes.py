"""The quote page: line items with their totals, the status actions of the quote service
(send, accept — which makes the order —, decline with a reason, revise into a new draft),
the revisions of the same quote number, and the PDF. Routes parse, call
``nexa.quote.service`` (the functions the API's endpoints call) and render."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from nexa.core.actor import Actor
from nexa.core.errors import DomainError
from nexa.core.filtering import ListQuery
from nexa.email.flows import send_quote
from nexa.order.flows import accept_quote
from nexa.order.service import OrderService
from nexa.quote import service as quotes
from nexa.quote.schemas import QuoteDecline
from nexa.quote.service import REVISABLE, QuoteService
from nexa.web.csrf import verify_csrf
from nexa.web.forms import errors_of
from nexa.web.generic import ObjectView, detail_context, object_view
from nexa.web.objects import OBJECTS
from nexa.web.pages import WebActor, WebSession, render

router = APIRouter(prefix="/quotes")
CSRF = [Depends(verify_csrf)]
QUOTES = OBJECTS["quotes"]
MAX_REVISIONS = 50


# ---- the page ----------------------------------------------------------------------------


def quote_actions(actor: Actor, status: str) -> list[str]:
    """The status actions the quote service allows from ``status`` (for this actor)."""
    if not actor.can("quote:write"):
        return []
    actions = []
    if status == "draft":
        actions.append("send")
    if status == "sent":
        actions += ["accept", "decline"]
    if status in REVISABLE and actor.can("quote:create"):
        actions.append("revise")
    return actions


@object_view("quote")
class QuoteView(ObjectView):
    template = "quote/detail.html"

    def get_extra_context(
        self, request: Request, session: Session, actor: Actor, record: Any, row: dict[str, Any]
    ) -> dict[str, Any]:
        """Revisions of the same number (older and newer) and the order an acceptance made."""
        revisions, _ = QuoteService(session, actor).list(
            ListQuery(
                filters=[f"number:eq:{record.number}"], sort="created_at", limit=MAX_REVISIONS
            )
        )
        newer = next((q for q in revisions if q.previous_id == record.id), None)
        orders: list[Any] = []
        if row["status"] == "accepted" and actor.can("order:read"):
            orders, _ = OrderService(session, actor).list(
                ListQuery(filters=[f"quote_id:eq:{record.id}"], limit=1)
            )
        return {
            "quote_actions": quote_actions(actor, row["status"]),
            "revisions": sorted(revisions, key=lambda q: q.revision),
            "newer": newer,
            "order": orders[0] if orders else None,
            "action_error": None,
            "decline_reason": "",
            "send_values": {},
        }


def _error_page(
    request: Request,
    session: Session,
    actor: Actor,
    quote_id: uuid.UUID,
    exc: Exception,
    **extra: Any,
) -> Response:
    """The quote page again with the refusal above the actions (a quote the actor cannot read
    is a 404 from ``detail_context``, as the API answers)."""
    message = next(iter(errors_of(exc).values()), "invalid value")
    ctx = detail_context(request, session, actor, QUOTES, quote_id)
    ctx.update(action_error=message, **extra)
    status = exc.status if isinstance(exc, DomainError) else 422
    return render(request, "quote/detail.html", actor, session, status_code=status, **ctx)


def _done(request: Request, target: str, message: str) -> Response:
    request.session["flash"] = message
    return RedirectResponse(target, status_code=303)


# ---- status actions ----------------------------------------------------------------------


@router.post("/{quote_id}/send", dependencies=CSRF)
def send(
    request: Request,
    quote_id: uuid.UUID,
    session: WebSession,
    actor: WebActor,
    to: Annotated[str, Form(max_length=2000)] = "",
    subject: Annotated[str, Form(max_length=998)] = "",
    text: Annotated[str, Form(max_length=100_000)] = "",
) -> Response:
    """Mark the quote sent and mail its PDF (nexa.email.flows.send_quote): to the quote's
    contact unless the form names others; without email set up it is only marked sent."""
    addresses = [a.strip() for a in to.replace(";", ",").split(",") if a.strip()]
    try:
        with session.begin_nested():
            quote, message = send_quote(
                session, actor, quote_id, to=addresses, subject=subject or None, text=text or None
            )
    except (DomainError, ValidationError) as exc:
        return _error_page(request, session, actor, quote_id, exc, send_values={
            "to": to, "subject": subject, "text": text})  # fmt: skip
    if message is None:
        note = "email is not set up, so nothing was mailed: download the PDF to send it yourself"
        return _done(request, f"/quotes/{quote.id}", f"Quote {quote.number} sent ({note})")
    sent_to = ", ".join(r["address"] for r in message.to)
    return _done(
        request, f"/quotes/{quote.id}", f"Quote {quote.number} sent to {sent_to} with its PDF"
    )


@router.post("/{quote_id}/accept", dependencies=CSRF)
def accept(request: Request, quote_id: uuid.UUID, session: WebSession, actor: WebActor) -> Response:
    try:
        with session.begin_nested():
            quote, order = accept_quote(session, actor, quote_id)
    except DomainError as exc:
        return _error_page(request, session, actor, quote_id, exc)
    return _done(
        request, f"/quotes/{quote.id}", f"Quote {quote.number} accepted: order {order.number} made"
    )


@router.post("/{quote_id}/decline", dependencies=CSRF)
def decline(
    request: Request,
    quote_id: uuid.UUID,
    session: WebSession,
    actor: WebActor,
    reason: Annotated[str, Form()] = "",
) -> Response:
    try:
        body = QuoteDecline.model_validate({"reason": reason.strip() or None})
        with session.begin_nested():
            quote = QuoteService(session, actor).decline(quote_id, body.reason)
    except (ValidationError, DomainError) as exc:
        return _error_page(request, session, actor, quote_id, exc, decline_reason=reason[:500])
    return _done(request, f"/quotes/{quote.id}", f"Quote {quote.number} declined")


@router.post("/{quote_id}/revise", dependencies=CSRF)
def revise(request: Request, quote_id: uuid.UUID, session: WebSession, actor: WebActor) -> Response:
    try:
        with session.begin_nested():
            new = QuoteService(session, actor).revise(quote_id)
    except DomainError as exc:
        return _error_page(request, session, actor, quote_id, exc)
    return _done(
        request, f"/quotes/{new.id}", f"Revision {new.revision} of {new.number} is a new draft"
    )


# ---- the document ------------------------------------------------------------------------


@router.get("/{quote_id}/quote.pdf")
def pdf(quote_id: uuid.UUID, session: WebSession, actor: WebActor) -> Response:
    quote, document = quotes.quote_pdf(session, actor, quote_id)
    return Response(
        content=document,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{quote.number}-r{quote.revision}.pdf"'
        },
    )
