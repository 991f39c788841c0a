"""All of the quotes' SQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date

from sqlalchemy import delete, select

from nexa.core.filtering import FieldSpec
from nexa.core.records import model_fields
from nexa.core.repository import Repository, unscoped
from nexa.models import Account, Contact, DealLineItem, Quote, QuoteLineItem
from nexa.models.quote import QUOTE_STATUSES

KINDS = {
    "id": "uuid",
    "number": "str",
    "revision": "int",
    "name": "str",
    "status": "enum",
    "deal_id": "uuid",
    "account_id": "uuid",
    "contact_id": "uuid",
    "currency": "str",
    "valid_until": "date",
    "total": "decimal",
    "owner_id": "uuid",
    "created_at": "datetime",
    "updated_at": "datetime",
    "deleted_at": "datetime",
}
SORTABLE = {"number", "name", "valid_until", "total", "created_at", "updated_at"}
CHOICES: dict[str, tuple[str, ...]] = {"status": QUOTE_STATUSES}


class QuoteRepository(Repository[Quote]):
    model = Quote
    object_name = "quote"

    def fields(self) -> dict[str, FieldSpec]:
        return model_fields(Quote, KINDS, SORTABLE, CHOICES)

    def lines_of(self, quote_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, list[QuoteLineItem]]:
        """The line items of many quotes in ONE query, by quote id."""
        ids = list(quote_ids)
        found: dict[uuid.UUID, list[QuoteLineItem]] = {i: [] for i in ids}
        if ids:
            stmt = (
                select(QuoteLineItem)
                .where(QuoteLineItem.quote_id.in_(ids))
                .order_by(QuoteLineItem.quote_id, QuoteLineItem.position)
            )
            for row in self.session.scalars(stmt):
                found[row.quote_id].append(row)
        return found

    def drop_lines(self, quote_id: uuid.UUID) -> None:
        self.session.execute(delete(QuoteLineItem).where(QuoteLineItem.quote_id == quote_id))

    def sent_past_validity(self, today: date) -> list[Quote]:
        """Sent quotes whose ``valid_until`` is before ``today`` (system view, for expiry)."""
        stmt = select(Quote).where(
            Quote.status == "sent",
            Quote.valid_until.is_not(None),
            Quote.valid_until < today,
            Quote.deleted_at.is_(None),
        )
        return list(self.session.scalars(unscoped(stmt)))

    def account_name(self, account_id: uuid.UUID) -> str | None:
        """The name of a quote's account (system view: the PDF shows the party as stored)."""
        stmt = select(Account.name).where(Account.id == account_id)
        return self.session.scalars(unscoped(stmt)).first()

    def contact_names(self, contact_id: uuid.UUID) -> tuple[str, str] | None:
        """First and last name of a quote's contact (system view)."""
        stmt = select(Contact.first_name, Contact.last_name).where(Contact.id == contact_id)
        row = self.session.execute(unscoped(stmt)).first()
        return (row[0], row[1]) if row else None

    def deal_lines(self, deal_id: uuid.UUID) -> list[DealLineItem]:
        """A deal's line items, in order (copied into its quote or order)."""
        stmt = (
            select(DealLineItem)
            .where(DealLineItem.deal_id == deal_id)
            .order_by(DealLineItem.position)
        )
        return list(self.session.scalars(stmt))
