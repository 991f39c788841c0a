"""In-transaction effects of deal events."""

from __future__ import annotations

from sqlalchemy.orm import Session

from nexa.core.events import Event, subscribe
from nexa.deal.flows import run_closed_won


@subscribe("deal.won")
def on_deal_won(session: Session, event: Event) -> None:
    if event.record_id is not None:
        run_closed_won(session, event.record_id)
