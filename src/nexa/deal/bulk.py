"""Creating many deals at once (imports), with the insert and the ``deal.created``
subscribers done for the whole group in a few statements — the deals' form of
``nexa.lead.bulk``.

``prepare`` makes every check ``DealService.create`` makes (permission, owner, pipeline and
stage, references, amounts and exchange rates, custom fields) and raises the same errors,
without writing. ``write`` then leaves, per deal, exactly what ``DealService.create`` and the
in-transaction subscribers of ``deal.created`` leave: the deal row, its first stage-history
row(s) (``first_stage_rows``: one, or a migrated history's), one audit row, the timeline
entries (the deal's, and its account's when it has one), the search document, the outbox
row — each table written with one executemany — and the stored prediction, computed for the
group in one pass (``deal.flows.score_new_deals``), with the norms of the per-process
snapshot, as the forecast's subscriber does.

A deal created won or lost then announces it as ``DealService.after_create`` does, the
group's ``deal.won`` and ``deal.lost`` written the same way (audit, timeline, outbox) —
unless the service does not announce closes (a migrated history, ``nexa.imports.historical``).
The closed-won flow ``deal.won``'s subscriber runs inline for one deal (onboarding tasks, an
order, the account's type, the handoff list: ~30 ms a deal through their services) is left
to after commit for a group: a ``deal.closed_won_queued`` outbox row per won deal, in the
import's transaction, which the outbox delivery turns into the flow
(``nexa.deal.flows.on_closed_won_queued``) — so it cannot be lost, and the import is not
held up by it.

Only deals the importer keeps for themselves take this path (``in_bulk``): those notify
nobody. A deal for someone else, one with a sales team, or a ``deal.created`` subscriber
this module does not know, goes through ``DealService.create`` instead.
"""

from __future__ import annotations

import gc
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from pydantic import BaseModel
from sqlalchemy.orm import Session

from nexa.activity.subscribers import linked_records, summarise
from nexa.core.actor import Actor
from nexa.core.audit import add_audit_rows
from nexa.core.db import utcnow
from nexa.core.events import (
    REGISTRY,
    Event,
    check_payload,
    jsonable,
    outbox_row,
    run_batch_forms,
    subscribers_of,
)
from nexa.deal.events import DealFlowQueued
from nexa.deal.flows import read_norms, score_new_deals
from nexa.deal.repository import DealRepository
from nexa.deal.schemas import DealCreate
from nexa.deal.service import DealService
from nexa.deal.stages import close_event, close_payload, publish_close
from nexa.record.events import RecordPayload
from nexa.record.shapes import shape_payload
from nexa.search.service import index_new_records

EVENT = "deal.created"
# every subscriber of deal.created, and what write() does in its place
KNOWN_SUBSCRIBERS = frozenset(
    {
        "nexa.activity.subscribers.write_timeline_entry",  # insert_timeline_entries
        "nexa.core.audit.write_audit_rows",  # add_audit_rows
        "nexa.notification.subscribers.notify_owner_of_new_record",  # own deals: nobody
        "nexa.search.subscribers.update_index",  # index_new_records
        "nexa.scoring.subscribers.rescore_on_engagement",  # deal.created is not engagement
        "nexa.forecast.subscribers.rescore_deal",  # refresh_deals
        "nexa.campaign.subscribers.on_deal_created",  # its batch form (BATCH_FORMS)
    }
)
# deal.created subscribers whose batch form runs for the group (run_batch_forms)
BATCH_FORMS = frozenset({"nexa.campaign.subscribers.on_deal_created"})


# every subscriber of deal.won / deal.lost that _leave stands in for
CLOSE_SUBSCRIBERS = frozenset(
    {
        "nexa.activity.subscribers.write_timeline_entry",
        "nexa.core.audit.write_audit_rows",
        "nexa.scoring.subscribers.rescore_on_engagement",  # a close is not engagement
        "nexa.deal.subscribers.on_deal_won",  # a deal.closed_won_queued outbox row
        "nexa.search.subscribers.update_index",  # won / lost: nothing to index
    }
)
FLOW_QUEUED = "deal.closed_won_queued"


@dataclass
class NewDeal:
    """A deal checked by ``prepare`` and not yet written."""

    id: uuid.UUID
    values: dict[str, Any]  # the deal's columns as DealService.create would insert them
    stages: list[dict[str, Any]] = field(default_factory=list)  # its first stage-history rows


@contextmanager
def _collection_paused() -> Iterator[None]:
    """No cyclic garbage collection while a group builds its rows (as the lead scoring's
    batch, ``nexa.scoring.service``): tens of thousands of new dicts and tuples would start
    a full collection again and again."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def subscribers_known() -> bool:
    """Whether every ``deal.created`` subscriber is one ``write`` stands in for."""
    names = {f"{fn.__module__}.{fn.__qualname__}" for fn in subscribers_of(EVENT)}
    return names <= KNOWN_SUBSCRIBERS


class BulkDeals:
    """One group of new deals by one actor, in the caller's transaction. ``service``: the
    deal service whose rules the rows follow (a historical import passes its own)."""

    def __init__(self, session: Session, actor: Actor, service: DealService | None = None) -> None:
        self.session = session
        self.actor = actor
        self.service = service or DealService(session, actor)
        self.enabled = actor.user_id is not None and subscribers_known()
        self._owners: dict[uuid.UUID, Exception | None] = {}

    def in_bulk(self, data: BaseModel) -> bool:
        """Whether this row can take the bulk path: a deal the importer keeps, without a
        sales team."""
        if not self.enabled:
            return False
        owner = getattr(data, "owner_id", None)
        if owner is not None and owner != self.actor.user_id:
            return False
        return not getattr(data, "sales_team", None)

    def prepare(self, data: BaseModel) -> NewDeal:
        """``DealService.create``'s checks and column values, without writing. Raises what
        ``create`` raises."""
        assert isinstance(data, DealCreate)
        owner_id = data.owner_id or self.actor.user_id
        if owner_id is not None and self.actor.can("deal:create"):
            self._check_owner(owner_id)  # once per owner, then remembered
        values = self.service.new_values(data, check_owner=False)
        deal_id = values.pop("id")
        stages = self.service.first_stage_rows(SimpleNamespace(id=deal_id, **values))
        return NewDeal(deal_id, values, stages)

    def _check_owner(self, owner_id: uuid.UUID) -> None:
        if owner_id not in self._owners:
            try:
                self.service.check_owner(owner_id, current=None)
                self._owners[owner_id] = None
            except Exception as exc:  # remembered and raised again for every row
                self._owners[owner_id] = exc
        error = self._owners[owner_id]
        if error is not None:
            raise error

    def write(self, deals: list[NewDeal]) -> None:
        """Insert the group and everything its ``deal.created`` events leave behind."""
        if not deals:
            return
        with _collection_paused():
            self._write(deals)

    def _write(self, deals: list[NewDeal]) -> None:
        session, service = self.session, self.service
        repo = DealRepository(session)
        # the norms the scoring pass uses: the per-process snapshot (at most a minute old),
        # read before the group is in, as the row path reads it with its first deal
        read_norms(session)
        defaults = repo.new_row_defaults()
        mutable = [k for k, v in defaults.items() if isinstance(v, list | dict)]
        rows = []
        for deal in deals:
            now = utcnow()
            row = {**defaults, **{k: type(defaults[k])() for k in mutable}, **deal.values}
            row.update(id=deal.id, updated_at=now, version=1)
            row["created_at"] = deal.values.get("created_at") or now
            rows.append(row)
        records = [SimpleNamespace(**row) for row in rows]
        events = [self._created(record) for record in records]
        stages = [stage for deal in deals for stage in deal.stages]
        index_new_records(session, "deal", records)
        repo.insert_many(rows)
        repo.insert_stage_changes(stages)
        self._leave(events)
        run_batch_forms(session, events, BATCH_FORMS)
        score_new_deals(session, records, stages, now=events[-1].occurred_at)
        if service.announce_close:
            self._close([r for r in records if r.stage_kind != "open"])

    def _event(self, name: str, record_id: uuid.UUID, payload: Any) -> Event:
        event_type = REGISTRY[name]
        return Event(
            id=uuid.uuid4(),
            type=event_type,
            record_type="deal",
            record_id=record_id,
            actor_id=self.actor.user_id,
            actor_name=self.actor.display_name,
            occurred_at=utcnow(),
            payload=check_payload(event_type, payload),
            changes={},
        )

    def _created(self, record: Any) -> Event:
        """``deal.created`` as ``RecordService.publish`` makes it."""
        data = self.service.event_payload("created", record)
        if record.owner_id is not None:
            data.setdefault("owner_id", str(record.owner_id))
        return self._event(EVENT, record.id, RecordPayload.of(shape_payload("deal", data)))

    def _close(self, records: list[Any]) -> None:
        """What ``DealService.after_create`` does for deals created won or lost:
        ``deal.won`` / ``deal.lost``. An event whose subscribers are all known here is
        written for the group like ``deal.created`` (with, for ``deal.won``, the outbox row
        that runs the closed-won flow after commit); one with others is published deal by
        deal, in the group's order."""
        known = {
            name: {f"{fn.__module__}.{fn.__qualname__}" for fn in subscribers_of(name)}
            <= CLOSE_SUBSCRIBERS
            for name in ("deal.won", "deal.lost")
        }
        grouped: list[Event] = []
        queued: list[Event] = []
        for record in records:
            name = close_event(record)
            if known[name]:
                grouped.append(self._event(name, record.id, close_payload(record, None)))
                if name == "deal.won":
                    payload = DealFlowQueued(name=record.name)
                    queued.append(self._event(FLOW_QUEUED, record.id, payload))
            else:
                publish_close(self.session, self.actor, record, None)
        self._leave(grouped)
        if queued:  # outbox rows only: nothing to audit or show until the flow runs
            DealRepository(self.session).insert_outbox_rows([outbox_row(e) for e in queued])
            self.session.info.setdefault("outbox_ids", []).extend(e.id for e in queued)

    def _leave(self, events: list[Event]) -> None:
        """What the audit, timeline and outbox leave for ``events``: one executemany each."""
        if not events:
            return
        repo = DealRepository(self.session)
        timeline = []
        for e in events:
            summary = summarise(e)
            data: dict[str, Any] = {"changes": jsonable(e.changes)} if e.changes else {}
            for record_type, record_id in [(e.record_type, e.record_id), *linked_records(e)]:
                entry = dict(data)
                if record_id != e.record_id:
                    entry["source"] = {"record_type": e.record_type, "record_id": str(e.record_id)}
                timeline.append(
                    {
                        "id": uuid.uuid4(),
                        "record_type": record_type,
                        "record_id": record_id,
                        "event": e.name,
                        "summary": summary,
                        "actor_id": e.actor_id,
                        "actor_name": e.actor_name,
                        "occurred_at": e.occurred_at,
                        "data": entry,
                    }
                )
        repo.insert_timeline_entries(timeline)
        add_audit_rows(self.session, events)
        repo.insert_outbox_rows([outbox_row(e) for e in events])
        self.session.info.setdefault("outbox_ids", []).extend(e.id for e in events)
