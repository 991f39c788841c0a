"""Keeps the global search index in step with leads, contacts, accounts and deals, inside
the transaction that changed them (a rollback leaves the index as it was)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from nexa.core.events import Event, subscribe
from nexa.search.documents import SEARCH_TYPES
from nexa.search.service import index_record, remove_document

INDEXING_VERBS = {"created", "updated", "restored"}


def update_index(session: Session, event: Event) -> None:
    record_type, _, verb = event.name.rpartition(".")
    if event.record_id is None or record_type not in SEARCH_TYPES:
        return
    if verb == "deleted":
        remove_document(session, event.record_id)
    elif verb in INDEXING_VERBS:
        index_record(session, record_type, event.record_id, new=verb == "created")


for _type in SEARCH_TYPES:
    subscribe(f"{_type}.*")(update_index)
