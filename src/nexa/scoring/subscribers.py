"""Scores follow events, in the transaction that caused them: a new lead, an edit of a field
the score reads, and engagement on the lead's timeline (a call, a meeting, a note, an email,
a form submission). Runs after enrichment (seniority, email kind). A new lead is scored by
the intake flow (nexa.lead.flows.intake_leads)."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from nexa.activity.subscribers import linked_records
from nexa.core.events import Event, batch_form, subscribe
from nexa.intelligence.lead_features import ENGAGEMENT_EVENTS, STANDARD_FIELDS
from nexa.scoring.service import score_leads

# edits of these fields (and of any custom field) change what the score sees
SCORED_FIELDS = frozenset({*STANDARD_FIELDS, "description", "web_form_id"})


def _scored_change(event: Event) -> bool:
    return any(name in SCORED_FIELDS or name.startswith("custom.") for name in event.changes)


@subscribe("lead.updated")
def rescore_edited_lead(session: Session, event: Event) -> None:
    if event.record_id is not None and _scored_change(event):
        score_leads(session, [event.record_id], reason="edited", now=event.occurred_at)


@subscribe("lead.restored")
def rescore_restored_lead(session: Session, event: Event) -> None:
    if event.record_id is not None:
        score_leads(session, [event.record_id], reason="restored", now=event.occurred_at)


def _engaged_leads(event: Event) -> list[uuid.UUID]:
    if event.name not in ENGAGEMENT_EVENTS or event.record_id is None:
        return []
    return [
        record_id
        for record_type, record_id in [(event.record_type, event.record_id), *linked_records(event)]
        if record_type == "lead"
    ]


@subscribe("*")
def rescore_on_engagement(session: Session, event: Event) -> None:
    leads = _engaged_leads(event)
    if leads:
        score_leads(session, leads, reason=event.name, now=event.occurred_at)


@batch_form(rescore_on_engagement)
def rescore_on_engagements(session: Session, events: list[Event]) -> None:
    """Many events of one name (a delivery batch): each lead they touch scored once."""
    leads = list(dict.fromkeys(lead for event in events for lead in _engaged_leads(event)))
    if leads:
        score_leads(session, leads, reason=events[0].name, now=events[-1].occurred_at)
