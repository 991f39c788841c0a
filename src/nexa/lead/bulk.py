"""Creating many leads at once (imports): the batch form of the lead intake flow
(``nexa.lead.flows.intake_leads``: enrich → insert → score → route), with the insert and the
``lead.created`` subscribers done for the whole group in a few statements.

``prepare`` makes every check ``create`` makes (permission, owner, status rules, source,
custom fields) and raises the same errors, without writing. ``write`` then runs the intake
flow on the group, its insert step leaving, per lead, exactly what ``LeadService.insert`` and
the in-transaction subscribers of ``lead.created`` leave: the lead row (with its
enrichment), one audit row, one timeline entry, the search document and the outbox row —
each table written with one executemany; the flow scores the group in one pass. Uniqueness
of emails is the caller's dedupe plus the database's partial unique index: a twin that
slipped in makes ``write`` raise ``IntegrityError`` and the caller redoes the group row by
row.

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

from nexa.activity.subscribers import summarise
from nexa.core.actor import Actor
from nexa.core.audit import add_audit_rows
from nexa.core.db import utcnow
from nexa.core.errors import PermissionDenied
from nexa.core.events import (
    REGISTRY,
    UNSET,
    Event,
    check_payload,
    outbox_row,
    subscribers_of,
)
from nexa.core.text import text_key
from nexa.lead.flows import intake_leads
from nexa.lead.repository import LeadRepository
from nexa.lead.schemas import LeadCreate
from nexa.lead.service import LeadService
from nexa.record.events import RecordPayload
from nexa.search.service import index_new_records

EVENT = "lead.created"
# every subscriber of lead.created, and what write() does in its place
KNOWN_SUBSCRIBERS = frozenset(
    {
        "nexa.activity.subscribers.write_timeline_entry",  # insert_timeline_entries
        "nexa.core.audit.write_audit_rows",  # add_audit_rows
        "nexa.notification.subscribers.notify_owner_of_new_record",  # own leads: nobody
        "nexa.search.subscribers.update_index",  # index_new_records
        "nexa.scoring.subscribers.rescore_on_engagement",  # lead.created is not engagement
    }
)


@dataclass
class NewLead:
    """A lead checked by ``prepare`` and not yet written."""

    id: uuid.UUID
    values: dict[str, Any]  # the lead's columns as LeadService.create would insert them


def subscribers_known() -> bool:
    """Whether every ``lead.created`` subscriber is one ``write`` stands in for."""
    names = {f"{fn.__module__}.{fn.__qualname__}" for fn in subscribers_of(EVENT)}
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
        if not self.actor.can("lead:create"):
            raise PermissionDenied("you may not create lead records")
        assert isinstance(data, LeadCreate)
        owner_id = data.owner_id or self.actor.user_id
        if owner_id is not None:
            self._check_owner(owner_id)  # once per owner, then remembered
        values = self.service.new_values(data, check_unique=False, check_owner=False)
        return NewLead(values.pop("id"), values)

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
        """Take the leads in through the intake flow, inserting them as a group."""
        if not leads:
            return
        rows = [{**lead.values, "id": lead.id} for lead in leads]
        intake_leads(self.service, rows, insert=self._insert)

    def _insert(self, values: list[dict[str, Any]]) -> None:
        """The flow's insert step for the group: the rows and everything their
        ``lead.created`` events leave behind, one executemany per table."""
        session, actor = self.session, self.actor
        repo = LeadRepository(session)
        rows = []
        defaults = repo.new_row_defaults()
        mutable = [k for k, v in defaults.items() if isinstance(v, list | dict)]
        for lead in values:
            now = utcnow()
            row = {**defaults, **{k: type(defaults[k])() for k in mutable}, **lead}
            # what the model keeps in step on the ORM path (Lead._keep_email_key)
            row.update(created_at=now, updated_at=now, version=1, email_key=text_key(row["email"]))
            rows.append(row)
        event_type = REGISTRY[EVENT]
        events = []
        for row in rows:
            payload = RecordPayload.of(
                self.service.payload(SimpleNamespace(**row)),  # type: ignore[arg-type]
                owner_id=str(row["owner_id"]) if row["owner_id"] is not None else UNSET,
            )
            events.append(
                Event(
                    id=uuid.uuid4(),
                    type=event_type,
                    record_type="lead",
                    record_id=row["id"],
                    actor_id=actor.user_id,
                    actor_name=actor.display_name,
                    occurred_at=utcnow(),
                    payload=check_payload(event_type, payload),
                    changes={},
                )
            )
        index_new_records(session, "lead", [SimpleNamespace(**row) for row in rows])
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
        repo.insert_outbox_rows([outbox_row(e) for e in events])
        session.info.setdefault("outbox_ids", []).extend(e.id for e in events)
