"""All of the quotes' SQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import delete, select

from nexa.core.filtering import FieldSpec
from nexa.core.records import model_fields
from nexa.core.repository import Repository
from nexa.models import Quote, QuoteLineItem
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
