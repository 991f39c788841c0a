"""A deal's win prediction follows it: recomputed in the same transaction when it is
created, edited or moves stage (rules and one model prediction for that deal), with the
organization's norms from the per-process snapshot (``forecast.service.cached_snapshot``):
this deal's rows only, whatever the organization's size."""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from nexa.core.events import Event, subscribe
from nexa.forecast.service import refresh_deal

log = logging.getLogger("nexa.forecast")


@subscribe("deal.created")
@subscribe("deal.updated")
@subscribe("deal.stage_changed")
def rescore_deal(session: Session, event: Event) -> None:
    if event.record_id is None:
        return
    try:
        refresh_deal(session, event.record_id, now=event.occurred_at, cached=True)
    except (ArithmeticError, ValueError, KeyError, TypeError):
        # a prediction is derived data: a bad number must not stop the edit itself
        log.exception("could not rescore deal %s", event.record_id)
