"""Creating many leads at once (imports): what ``LeadService.create`` does for each lead, with
the writes and the ``lead.created`` subscribers done for the whole group in a few statements.

``prepare`` makes every check ``create`` makes (permission, owner, status rules, source,
custom fields) and raises the same errors, without writing. ``write`` then inserts the
group and leaves, per lead, exactly what ``create`` and the in-transaction subscribers of
``lead.created`` leave: the lead row (with its enrichment), one audit row, one timeline
entry, the search document (indexed before enrichment, as the subscriber order has it), the
score with its factors and score change, and the outbox row — each table written with one
executemany. Uniqueness of emails is the caller's dedupe plus the database's partial unique
index: a twin that slipped in makes ``write`` raise ``IntegrityError`` and the caller redoes
the group row by row.

Only leads the importer keeps for themselves take this path (``in_bulk``): those are never
routed and notify nobody. A lead for someone else, or a ``lead.created`` subscriber this
module does not know, goes through ``LeadService.create`` instead.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from pydantic import BaseModel
from sqlalchemy.orm import Session

from nexa.core.actor import Actor
from nexa.core.db import utcnow
from nexa.core.errors import PermissionDenied
from nexa.core.events import REGISTRY, Event, _subscribers, jsonable
from nexa.lead.repository import LeadRepository
from nexa.lead.schemas import LeadCreate
from nexa.lead.service import LeadService
from nexa.metadata import service as metadata

EVENT = "lead.created"
# every subscriber of lead.created, and what write() does in its place
KNOWN_SUBSCRIBERS = frozenset(
    {
        "nexa.activity.subscribers.write_timeline_entry",  # insert_timeline_entries
        "nexa.core.audit.write_audit_rows",  # add_audit_rows
        "nexa.notification.subscribers.notify_owner_of_new_record",  # own leads: nobody
        "nexa.search.subscribers.update_index",  # index_new_records
        "nexa.enrichment.subscribers.enrich_new_lead",  # enrichment_of_new_leads
        "nexa.scoring.subscribers.score_new_lead",  # score_leads, once for the group
        "nexa.scoring.subscribers.rescore_on_engagement",  # lead.created is not engagement
        "nexa.routing.subscribers.route_new_lead",  # own leads are never routed
    }
)
CLOSED = ("converted", "lost")  # scoring.subscribers: closed leads are not scored


@dataclass
class NewLead:
    """A lead checked by ``prepare`` and not yet written."""

    id: uuid.UUID
    values: dict[str, Any]  # the lead's columns as LeadService.create would insert them


def subscribers_known() -> bool:
    """Whether every ``lead.created`` subscriber is one ``write`` stands in for."""
    import fnmatch

    names = {
        f"{fn.__module__}.{fn.__qualname__}"
        for pattern, fn in _subscribers
        if fnmatch.fnmatchcase(EVENT, pattern)
    }
    return names <= KNOWN_SUBSCRIBERS


class BulkLeads:
    """One group of new leads by one actor, in the caller's transaction."""

    def __init__(self, session: Session, actor: Actor) -> None:
        self.session = session
        self.actor = actor
        self.service = LeadService(session, actor)
        self.enabled = actor.user_id is not None and subscribers_known()
        self._owners: dict[uuid.UUID, Exception | None] = {}
        # held here so that require_source's session.get finds them in the identity map
        # (it holds its objects weakly) instead of a query and an autoflush per row
        self._sources = LeadRepository(session).sources()

    def in_bulk(self, data: BaseModel) -> bool:
        """Whether this row can take the bulk path: a lead the importer keeps."""
        owner = getattr(data, "owner_id", None)
        return self.enabled and (owner is None or owner == self.actor.user_id)

    def prepare(self, data: BaseModel) -> NewLead:
        """``LeadService.create``'s checks and column values, without writing (the import has
        looked for exact and fuzzy twins itself). Raises what ``create`` raises."""
        svc = self.service
        if not self.actor.can("lead:create"):
            raise PermissionDenied("you may not create lead records")
        assert isinstance(data, LeadCreate)
        values = svc.values_of(data, partial=False)
        owner_id = values.pop("owner_id", None) or self.actor.user_id
        if owner_id is not None:
            self._check_owner(owner_id)
        values["owner_id"] = owner_id
        values = svc.prepare(values, None)
        values["custom_fields"] = metadata.validate_values(
            self.session, "lead", getattr(data, "custom_fields", None)
        )
        return NewLead(uuid.uuid4(), values)

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

    def write(self, leads: list[NewLead]) -> None:
        """Insert the leads and everything their ``lead.created`` events leave behind."""
        if not leads:
            return
        from nexa.activity.subscribers import summarise
        from nexa.core.audit import add_audit_rows
        from nexa.enrichment.service import enrichment_of_new_leads
        from nexa.scoring.service import score_leads
        from nexa.search.service import index_new_records

        session, actor = self.session, self.actor
        repo = LeadRepository(session)
        rows = []
        defaults = repo.new_row_defaults()
        mutable = [k for k, v in defaults.items() if isinstance(v, list | dict)]
        for lead in leads:
            now = utcnow()
            row = {**defaults, **{k: type(defaults[k])() for k in mutable}, **lead.values}
            row.update(id=lead.id, created_at=now, updated_at=now, version=1)
            rows.append(row)
        # the event's payload is made, and the search document indexed, before enrichment
        # runs (the subscribers' order)
        event_type = REGISTRY[EVENT]
        events = []
        for row in rows:
            payload = self.service.payload(SimpleNamespace(**row))  # type: ignore[arg-type]
            if row["owner_id"] is not None:
                payload.setdefault("owner_id", str(row["owner_id"]))
            events.append(
                Event(
                    id=uuid.uuid4(),
                    type=event_type,
                    record_type="lead",
                    record_id=row["id"],
                    actor_id=actor.user_id,
                    actor_name=actor.display_name,
                    occurred_at=utcnow(),
                    payload=payload,
                    changes={},
                )
            )
        index_new_records(session, "lead", [SimpleNamespace(**row) for row in rows])
        for row, enriched in zip(rows, enrichment_of_new_leads(session, rows), strict=True):
            row.update(enriched)
        repo.insert_many(rows)
        repo.insert_timeline_entries(
            [
                {
                    "id": uuid.uuid4(),
                    "record_type": e.record_type,
                    "record_id": e.record_id,
                    "event": e.name,
                    "summary": summarise(e),
                    "actor_id": e.actor_id,
                    "actor_name": e.actor_name,
                    "occurred_at": e.occurred_at,
                    "data": {},
                }
                for e in events
            ]
        )
        add_audit_rows(session, events)
        scored = [e for e in events if e.payload.get("status") not in CLOSED]
        if scored:
            assert scored[0].record_id is not None
            score_leads(
                session,
                [e.record_id for e in scored if e.record_id is not None],
                reason="created",
                now=scored[-1].occurred_at,
            )
        repo.insert_outbox_rows(
            [
                {
                    "id": e.id,
                    "event": e.name,
                    "record_type": e.record_type,
                    "record_id": e.record_id,
                    "actor_id": e.actor_id,
                    "payload": jsonable({**e.payload, "changes": e.changes}),
                    "created_at": e.occurred_at,
                    "available_at": e.occurred_at,
                    "delivered_at": None,
                    "attempts": 0,
                    "last_error": None,
                }
                for e in events
            ]
        )
        session.info.setdefault("outbox_ids", []).extend(e.id for e in events)
