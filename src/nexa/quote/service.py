"""Quotes: formal proposals with priced line items, a numbered revision history and a PDF.

Life: draft (editable) → sent → accepted (an order is made in the same transaction) or
declined; a sent quote past ``valid_until`` reads as expired (``expire_quotes`` stores it);
revising a sent/decided quote makes a new draft with the same number and revision + 1, and
the old one becomes superseded."""

from __future__ import annotations

import logging
import uuid
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from pydantic import BaseModel
from sqlalchemy.orm import Session

from nexa.account.repository import AccountRepository
from nexa.config import get_settings
from nexa.contact.repository import ContactRepository
from nexa.core.actor import SYSTEM, Actor
from nexa.core.db import utcnow
from nexa.core.errors import Conflict, PermissionDenied, ValidationFailed
from nexa.core.events import publish
from nexa.core.filtering import ListQuery
from nexa.core.money import money
from nexa.core.records import check_version
from nexa.core.sequence import next_value
from nexa.metadata.organization import logo as organization_logo
from nexa.metadata.organization import organization_profile
from nexa.models import OrgSetting, Quote, QuoteLineItem
from nexa.models.org_setting import put_setting
from nexa.product.lines import copy_lines, line_money, totals_of
from nexa.product.service import live_products, product_prices, product_tax_rates
from nexa.quote import pdf
from nexa.quote.deals import check_deal, deal_lines, readable_deal
from nexa.quote.events import QUOTE_EVENTS
from nexa.quote.repository import QuoteRepository
from nexa.quote.schemas import LineItemIn, QuoteCreate
from nexa.record.events import RecordPayload
from nexa.record.service import RecordService, check_reference

log = logging.getLogger(__name__)

TEMPLATE_KEY = "quote.template"
LINES_CACHE = "_nexa_lines"
REVISABLE = ("sent", "accepted", "declined", "expired")


def effective_status(quote: Quote, today: date | None = None) -> str:
    """A sent quote past ``valid_until`` reads as expired even before the sweep stores it."""
    today = today or utcnow().date()
    if quote.status == "sent" and quote.valid_until is not None and quote.valid_until < today:
        return "expired"
    return quote.status


def quote_payload(quote: Quote) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "name": quote.name,
        "number": quote.number,
        "revision": quote.revision,
        "status": quote.status,
        "total": str(quote.total),
        "currency": quote.currency,
    }
    if quote.deal_id is not None:
        payload["also_on"] = [["deal", str(quote.deal_id)]]
    return payload


def _field(i: int, name: str) -> str:
    return f"line_items[{i}].{name}"


def build_lines(session: Session, items: list[LineItemIn], currency: str) -> list[QuoteLineItem]:
    """Line rows (without their quote) from the request, priced from the price book where the
    price is omitted: products and their prices load in two queries for all lines."""
    ids = [item.product_id for item in items if item.product_id is not None]
    products = live_products(session, ids)
    prices = product_prices(session, list(products), currency)
    rows = []
    for i, item in enumerate(items):
        product = None
        if item.product_id is not None:
            product = products.get(item.product_id)
            if product is None:
                raise ValidationFailed("no product with this id", field=_field(i, "product_id"))
        unit_price = item.unit_price
        if unit_price is None:
            if product is None or product.id not in prices:
                raise ValidationFailed(
                    f"give a unit price: the product has no price in {currency}"
                    if product
                    else "unit_price is required for a line without a product",
                    field=_field(i, "unit_price"),
                )
            unit_price = prices[product.id]
        name = item.name or (product.name if product else None)
        if not name:
            raise ValidationFailed(
                "name is required for a line without a product", field=_field(i, "name")
            )
        tax_rate = (
            item.tax_rate if item.tax_rate is not None else (product.tax_rate if product else None)
        )
        is_recurring = item.is_recurring
        if is_recurring is None:
            is_recurring = bool(product and product.billing_period != "one_time")
        money = line_money(
            item.quantity, unit_price, item.discount_percent, tax_rate, field=_field(i, "total")
        )
        mrr = item.mrr
        if (
            is_recurring
            and mrr is None
            and product is not None
            and product.billing_period == "annual"
        ):
            mrr = (money.net / 12).quantize(Decimal("0.01"))
        rows.append(
            QuoteLineItem(
                id=uuid.uuid4(),
                product_id=item.product_id,
                name=name,
                description=item.description,
                position=i,
                quantity=item.quantity,
                unit_price=unit_price,
                discount_percent=item.discount_percent,
                tax_rate=tax_rate,
                is_recurring=is_recurring,
                mrr=mrr if is_recurring else None,
                term_months=item.term_months,
                total=money.net,
            )
        )
    return rows


class QuoteService(RecordService[Quote]):
    events = QUOTE_EVENTS
    model = Quote
    repository = QuoteRepository
    label = "quote"
    not_empty = ("name", "currency")
    computed = ("line_items",)

    repo: QuoteRepository

    def __init__(self, session: Session, actor: Actor) -> None:
        super().__init__(session, actor)
        self._items: list[LineItemIn] | None = None
        self._rows: list[QuoteLineItem] | None = None

    def payload(self, record: Quote) -> dict[str, Any]:
        return quote_payload(record)

    # -- create / update ----------------------------------------------------------------
    def create(self, data: BaseModel, **extra: Any) -> Quote:
        self._items = getattr(data, "line_items", None)
        return super().create(data, **extra)

    def create_with_rows(self, data: QuoteCreate, rows: list[QuoteLineItem]) -> Quote:
        self._rows = rows
        return super().create(data)

    def update(
        self, record_id: uuid.UUID, data: BaseModel, *, if_match: int | None = None
    ) -> Quote:
        record = self.get_for(record_id, "write")
        check_version(record, if_match)
        values = self.values_of(data, partial=True)
        if record.status != "draft" and (
            set(values) - {"owner_id"} or "line_items" in data.model_fields_set
        ):
            raise Conflict(
                f"only draft quotes can be edited (this one is {effective_status(record)}); "
                "revise it to make a new draft",
                field="status",
            )
        if "line_items" in data.model_fields_set:
            self._items = getattr(data, "line_items", None) or []
        return self.apply(record, values)

    def prepare(self, values: dict[str, Any], record: Quote | None) -> dict[str, Any]:
        if "deal_id" in values and (record is None or values["deal_id"] != record.deal_id):
            deal = check_deal(self.session, self.actor, values["deal_id"])
            if deal is not None and record is None:
                values["currency"] = values.get("currency") or deal.currency
                values["account_id"] = values.get("account_id") or deal.account_id
                values["contact_id"] = values.get("contact_id") or deal.primary_contact_id
                values["name"] = values.get("name") or deal.name
        for field, repo in (("account_id", AccountRepository), ("contact_id", ContactRepository)):
            if values.get(field) is not None and (
                record is None or values[field] != getattr(record, field)
            ):
                check_reference(self.session, self.actor, repo, values[field], field)
        if record is None:
            values["currency"] = values.get("currency") or get_settings().org_currency.upper()
            values["name"] = values.get("name") or "Quote"
            values["number"] = f"Q-{next_value(self.session, 'quote'):06d}"
            values["revision"] = 1
            values["status"] = "draft"
        currency = values.get("currency") or (record.currency if record else "")
        if self._items is not None:
            self._rows = build_lines(self.session, self._items, currency)
            self._items = None
        if self._rows is not None:
            values.update(totals_of(self._rows).as_columns())
            if record is not None:
                self._write_rows(record)
        return values

    def after_create(self, record: Quote) -> None:
        self._write_rows(record)

    def _write_rows(self, record: Quote) -> None:
        if self._rows is None:
            return
        if record.created_at is not None:
            self.repo.drop_lines(record.id)
        for row in self._rows:
            row.quote_id = record.id
        self.session.add_all(self._rows)
        self.session.flush()
        self._rows = None

    def list(self, query: ListQuery) -> tuple[list[Quote], str | None]:
        """A page of quotes with their line items loaded in one query for the whole page."""
        rows, next_cursor = super().list(query)
        lines = self.repo.lines_of(r.id for r in rows)
        for row in rows:
            row.__dict__[LINES_CACHE] = lines[row.id]
        return rows, next_cursor

    # -- status flow ---------------------------------------------------------------------
    def _transition(self, record_id: uuid.UUID, allowed: tuple[str, ...], verb: str) -> Quote:
        quote = self.get_for(record_id, "write")
        status = effective_status(quote)
        if status not in allowed:
            raise Conflict(f"a {status} quote cannot be {verb}", field="status")
        return quote

    def _publish_status(self, event: str, quote: Quote, before: str) -> None:
        self.session.flush()
        publish(
            self.session,
            self.actor,
            f"quote.{event}",
            record_type="quote",
            record_id=quote.id,
            changes={"status": (before, quote.status)},
            payload=RecordPayload.of(quote_payload(quote)),
        )

    def send(self, record_id: uuid.UUID) -> Quote:
        quote = self._transition(record_id, ("draft",), "sent")
        if not self.repo.lines_of([quote.id])[quote.id]:
            raise Conflict("add at least one line item before sending", field="line_items")
        quote.status, quote.sent_at = "sent", utcnow()
        self._publish_status("sent", quote, "draft")
        return quote

    def accept(self, record_id: uuid.UUID) -> Quote:
        """Mark a sent quote accepted. Its order is made by ``nexa.order.flows.accept_quote``,
        which calls this in the same transaction (orders know quotes, not the reverse)."""
        quote = self._transition(record_id, ("sent",), "accepted")
        quote.status, quote.decided_at = "accepted", utcnow()
        self._publish_status("accepted", quote, "sent")
        return quote

    def decline(self, record_id: uuid.UUID, reason: str | None) -> Quote:
        quote = self._transition(record_id, ("sent",), "declined")
        quote.status, quote.decided_at, quote.decline_reason = "declined", utcnow(), reason
        self._publish_status("declined", quote, "sent")
        return quote

    def revise(self, record_id: uuid.UUID) -> Quote:
        if not self.actor.can("quote:create"):
            raise PermissionDenied("you may not create quote records")
        old = self._transition(record_id, REVISABLE, "revised")
        before = old.status
        new = Quote(
            id=uuid.uuid4(),
            number=old.number,
            revision=old.revision + 1,
            name=old.name,
            status="draft",
            deal_id=old.deal_id,
            account_id=old.account_id,
            contact_id=old.contact_id,
            previous_id=old.id,
            currency=old.currency,
            valid_until=old.valid_until,
            terms=old.terms,
            notes=old.notes,
            owner_id=old.owner_id,
            **{
                k: getattr(old, k)
                for k in ("subtotal", "discount_total", "tax_total", "total", "total_mrr")
            },
        )
        old.status = "superseded"
        self.session.add(new)
        self.session.flush()
        self.session.add_all(
            copy_lines(self.repo.lines_of([old.id])[old.id], QuoteLineItem, quote_id=new.id)
        )
        self.session.flush()
        self.publish("updated", old, {"status": (before, "superseded")})
        self.publish("created", new)
        return new


def quote_lines(session: Session, quote: Quote) -> list[QuoteLineItem]:
    cached = quote.__dict__.pop(LINES_CACHE, None)
    if cached is not None:
        return list(cached)
    return QuoteRepository(session).lines_of([quote.id])[quote.id]


def quote_from_deal(session: Session, actor: Actor, deal_id: uuid.UUID) -> Quote:
    """A new draft quote copying a readable deal's line items, parties and currency."""
    deal = readable_deal(session, actor, deal_id)
    lines = deal_lines(session, deal.id)
    rows = copy_lines(lines, QuoteLineItem, product_tax_rates(session, lines))
    return QuoteService(session, actor).create_with_rows(QuoteCreate(deal_id=deal.id), rows)


def expire_quotes(session: Session) -> int:
    """Store ``expired`` on sent quotes past ``valid_until`` (a periodic job); the count."""
    today = utcnow().date()
    quotes = QuoteRepository(session).sent_past_validity(today)
    for quote in quotes:
        quote.status = "expired"
    session.flush()
    for quote in quotes:
        publish(
            session,
            SYSTEM,
            "quote.expired",
            record_type="quote",
            record_id=quote.id,
            changes={"status": ("sent", "expired")},
            payload=RecordPayload.of(quote_payload(quote)),
        )
    return len(quotes)


# -- the document -----------------------------------------------------------------------
def current_template(session: Session) -> tuple[str, bool]:
    """The organization's quote template and whether it is the built-in default."""
    row = session.get(OrgSetting, TEMPLATE_KEY)
    if row is not None and isinstance(row.value, str) and row.value:
        return row.value, False
    return pdf.default_template(), True


def get_template(session: Session, actor: Actor) -> tuple[str, bool]:
    if not actor.can("quote:read"):
        raise PermissionDenied("you may not read quotes")
    return current_template(session)


def _sample_context() -> dict[str, Any]:
    quote = {
        "number": "Q-000001",
        "revision": 1,
        "name": "Sample quote",
        "status": "draft",
        "currency": "USD",
        "valid_until": "2030-12-31",
        "terms": "Net 30",
        "notes": "Thank you",
        "subtotal": "1,000.00",
        "discount_total": "100.00",
        "tax_total": "90.00",
        "total": "990.00",
        "total_mrr": "",
        "sent_at": "",
        "owner": "Sample Owner",
    }
    line = {
        "name": "Sample product",
        "description": "",
        "quantity": "2",
        "unit_price": "500.00",
        "discount_percent": "10",
        "tax_rate": "10",
        "total": "900.00",
        "is_recurring": False,
        "mrr": "",
        "term_months": "",
    }
    seller = {
        "name": "Sample Seller Ltd",
        "address_lines": ["1 Sample Street", "Springfield"],
        "email": "sales@seller.example",
        "phone": "+1 555 0100",
        "website": "seller.example",
        "tax_id": "VAT 123",
    }
    return {
        "quote": quote,
        "lines": [line],
        "account": "Acme Corp",
        "contact": "Sarah Johnson",
        "today": "2030-01-01",
        "seller": seller,
    }


def set_template(session: Session, actor: Actor, html: str) -> str:
    """Store the organization's template after a trial render with sample data (422 on html)."""
    if not actor.can("settings:write"):
        raise PermissionDenied("only admins change the quote template")
    pdf.render_pdf(html, _sample_context())
    put_setting(session, TEMPLATE_KEY, html)
    return html


def _context(session: Session, quote: Quote) -> dict[str, Any]:
    repo = QuoteRepository(session)
    account = repo.account_name(quote.account_id) if quote.account_id else None
    contact = None
    if quote.contact_id:
        names = repo.contact_names(quote.contact_id)
        contact = f"{names[0]} {names[1]}".strip() if names else None
    lines = [
        {
            "name": ln.name,
            "description": ln.description or "",
            "quantity": f"{ln.quantity.normalize():f}",
            "unit_price": money(ln.unit_price, places=2, missing=""),
            "discount_percent": f"{Decimal(ln.discount_percent).normalize():f}",
            "tax_rate": "" if ln.tax_rate is None else f"{Decimal(ln.tax_rate).normalize():f}",
            "total": money(ln.total, places=2, missing=""),
            "is_recurring": ln.is_recurring,
            "mrr": money(ln.mrr, places=2, missing=""),
            "term_months": ln.term_months or "",
        }
        for ln in QuoteRepository(session).lines_of([quote.id])[quote.id]
    ]
    profile = organization_profile(session)
    # a quote without a date of its own is valid for the organization's usual days from when
    # it was sent (or made); without terms of its own it carries the organization's
    issued = (quote.sent_at or quote.created_at or utcnow()).date()
    valid_until = quote.valid_until or issued + timedelta(days=profile.quote_valid_days)
    data = {
        "number": quote.number,
        "revision": quote.revision,
        "name": quote.name,
        "status": effective_status(quote),
        "currency": quote.currency,
        "valid_until": valid_until.isoformat(),
        "terms": quote.terms or profile.quote_terms,
        "notes": quote.notes or "",
        "subtotal": money(quote.subtotal, places=2, missing=""),
        "discount_total": money(quote.discount_total, places=2, missing=""),
        "tax_total": money(quote.tax_total, places=2, missing=""),
        "total": money(quote.total, places=2, missing=""),
        "total_mrr": money(quote.total_mrr, places=2, missing="") if quote.total_mrr else "",
        "sent_at": quote.sent_at.date().isoformat() if quote.sent_at else "",
    }
    return {
        "quote": data,
        "lines": lines,
        "account": account,
        "contact": contact,
        "today": utcnow().date().isoformat(),
        "profile": profile,
        "seller": {
            "name": profile.name,
            "address_lines": profile.address_lines,
            "email": profile.email,
            "phone": profile.phone,
            "website": profile.website,
            "tax_id": profile.tax_id,
        },
    }


def quote_pdf(
    session: Session, actor: Actor, quote_id: uuid.UUID, *, compress: bool = True
) -> tuple[Quote, bytes]:
    """The quote as PDF, drawn from the organization's template. A stored template that
    fails with this quote's data (a render limit: output size, loops, time) fails the PDF
    with a 422 naming ``template`` and the reason, logged for the admin — never a hang, a
    500 or a silent switch to another design."""
    quote = QuoteRepository(session).get(actor, quote_id)
    context = _context(session, quote)
    profile = context.pop("profile")  # the logo's key is not the template's business
    template, is_default = current_template(session)
    try:
        found = organization_logo(session, profile)
        logo = found[0] if found else None
        return quote, pdf.render_pdf(template, context, compress=compress, logo=logo)
    except ValidationFailed as exc:
        which = "built-in" if is_default else "organization's"
        log.warning("quote %s: the %s template failed: %s", quote.number, which, exc.detail)
        raise ValidationFailed(
            f"the {which} quote template cannot render this quote: {exc.detail}",
            field="template",
        ) from None
