"""What of a quote leaves the service (API, web, events): see record/shapes.py."""

from __future__ import annotations

from sqlalchemy.orm import Session

from nexa.models import Quote
from nexa.quote import service
from nexa.quote.schemas import LineItemOut, QuoteOut
from nexa.record.shapes import Shaper, register


def quote_out(session: Session, quote: Quote) -> QuoteOut:
    data = {c.key: getattr(quote, c.key) for c in Quote.__mapper__.column_attrs}
    data["status"] = service.effective_status(quote)
    data["line_items"] = [
        LineItemOut.model_validate(li) for li in service.quote_lines(session, quote)
    ]
    return QuoteOut.model_validate(data)


QUOTES = register(Shaper("quote", QuoteOut, to_out=quote_out))
