"""Enrich a lead again in the transaction that changes it, before it is rescored
(nexa.subscribers imports enrichment before scoring, so the score sees the seniority).
A new lead is enriched by the intake flow (nexa.lead.flows.intake_leads) before its INSERT."""

from __future__ import annotations

from sqlalchemy.orm import Session

from nexa.core.events import Event, subscribe
from nexa.enrichment.service import (
    ENRICHMENT_SOURCE,
    SOURCE_FIELDS,
    enrich_lead,
    forget_domains,
)
from nexa.models import Lead
from nexa.record.events import RecordPayload


@subscribe("lead.updated")
def enrich_changed_lead(session: Session, event: Event) -> None:
    payload = event.payload
    if isinstance(payload, RecordPayload) and payload.source == ENRICHMENT_SOURCE:
        return  # our own re-run: already enriched
    if SOURCE_FIELDS.isdisjoint(event.changes):
        return
    _enrich(session, event)


def _enrich(session: Session, event: Event) -> None:
    if event.record_id is None:
        return
    lead = session.get(Lead, event.record_id)
    if lead is None or lead.deleted_at is not None:
        return
    enrich_lead(session, lead)


@subscribe("account.*")
@subscribe("contact.*")
def forget_matched_domains(session: Session, event: Event) -> None:
    """A new, changed or deleted account or contact may change which account a domain
    belongs to: forget what this transaction remembered."""
    forget_domains(session)
