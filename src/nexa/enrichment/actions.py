"""Next best action for a lead, deal or contact: gather a few facts (scoped by the actor),
run the rules of nexa.intelligence.next_action, and turn one action into a task.

Queries per call: the record, its timeline's latest events (one grouped query), its
meetings, the open tasks made from earlier suggestions; a deal adds its quotes, its
meetings' attendees and the median deal amount; a contact adds its account and whether
that account has an open deal.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from nexa.contact.repository import ContactRepository
from nexa.core.actor import Actor
from nexa.core.db import utcnow
from nexa.core.errors import Conflict, NotFound, ValidationFailed
from nexa.deal.repository import DealRepository
from nexa.enrichment.repository import (
    INTERACTION_EVENTS,
    INTERACTION_PREFIXES,
    REPLY_EVENTS,
    TASK_ORIGIN_PREFIX,
    EnrichmentRepository,
)
from nexa.intelligence.deal_features import MIN_STALL_DAYS
from nexa.intelligence.enrichment import title_facts
from nexa.intelligence.next_action import (
    KNOWN_KEYS,
    Action,
    ContactFacts,
    DealFacts,
    LeadFacts,
    ResponseFacts,
    contact_actions,
    deal_actions,
    lead_actions,
    response_actions,
)
from nexa.lead.repository import LeadRepository
from nexa.models import PipelineStage, Task
from nexa.task.schemas import TaskCreate
from nexa.task.service import TaskService

RECORD_TYPES = ("lead", "deal", "contact")


def _latest_interaction(events: dict[str, datetime]) -> datetime | None:
    times = [
        at
        for name, at in events.items()
        if name in INTERACTION_EVENTS or name.startswith(INTERACTION_PREFIXES)
    ]
    return max(times) if times else None


def _latest_reply(events: dict[str, datetime]) -> datetime | None:
    times = [at for name, at in events.items() if name in REPLY_EVENTS]
    return max(times) if times else None


def _later(a: datetime | None, b: datetime | None) -> datetime | None:
    if a is None or b is None:
        return a or b
    return max(a, b)


def _lead(session: Session, actor: Actor, record_id: uuid.UUID, now: datetime) -> list[Action]:
    lead = LeadRepository(session).get(actor, record_id)
    repo = EnrichmentRepository(session)
    events = repo.interactions("lead", lead.id)
    facts = LeadFacts(
        status=lead.status,
        created_at=lead.created_at,
        score=lead.score,
        seniority=lead.seniority,
        title=lead.title,
        email_kind=lead.email_kind,
        sla_due_at=lead.sla_due_at,
        sla_priority=lead.sla_priority,
        first_response_at=lead.first_response_at,
        last_contacted_at=lead.last_contacted_at,
        last_activity_at=_latest_interaction(events),
        last_reply_at=_latest_reply(events),
        meetings=len(repo.meetings(actor, "lead", lead.id)),
    )
    return lead_actions(facts, now)


def _deal(session: Session, actor: Actor, record_id: uuid.UUID, now: datetime) -> list[Action]:
    deal = DealRepository(session).get(actor, record_id)
    repo = EnrichmentRepository(session)
    stage = session.get(PipelineStage, deal.stage_id)
    events = repo.interactions("deal", deal.id)
    meetings = repo.meetings(actor, "deal", deal.id)
    contacts = repo.attendee_contacts([m.id for m in meetings])
    if deal.primary_contact_id is not None:
        contacts.add(deal.primary_contact_id)
    open_stage = deal.stage_kind == "open"
    facts = DealFacts(
        stage=deal.stage,
        stage_name=stage.name if stage is not None else deal.stage,
        stage_kind=deal.stage_kind,
        stage_probability=stage.probability if stage is not None else deal.probability,
        stage_entered_at=deal.stage_entered_at,
        # never before a week in the stage (the forecast's stall rule, deal_features)
        stall_after_days=(
            max(MIN_STALL_DAYS, stage.stall_after_days)
            if stage is not None and stage.stall_after_days
            else None
        ),
        created_at=deal.created_at,
        amount=deal.amount_org,
        median_amount=repo.median_deal_amount() if open_stage else None,
        contacts_engaged=len(contacts),
        quotes=repo.quote_count(actor, deal.id) if open_stage else 0,
        meetings=len(meetings),
        last_activity_at=_later(deal.last_activity_at, _latest_interaction(events)),
        close_date=deal.close_date,
        risk_factors=list(deal.risk_factors or []),
    )
    return deal_actions(facts, now)


def _contact(session: Session, actor: Actor, record_id: uuid.UUID, now: datetime) -> list[Action]:
    contact = ContactRepository(session).get(actor, record_id)
    repo = EnrichmentRepository(session)
    events = repo.interactions("contact", contact.id)
    brief = repo.account_brief(actor, contact.account_id) if contact.account_id else None
    open_deals = 0
    if contact.account_id is not None and brief is not None:
        open_deals = 1 if repo.account_has_open_deal(contact.account_id) else 0
    facts = ContactFacts(
        created_at=contact.created_at,
        last_activity_at=_later(contact.last_activity_at, _latest_interaction(events)),
        seniority=title_facts(contact.title).seniority,
        title=contact.title,
        account_name=brief[0] if brief else None,
        account_type=brief[1] if brief else None,
        account_open_deals=open_deals,
    )
    return contact_actions(facts, now)


RULES = {"lead": _lead, "deal": _deal, "contact": _contact}


def next_actions(
    session: Session,
    actor: Actor,
    record_type: str,
    record_id: uuid.UUID,
    *,
    now: datetime | None = None,
) -> list[Action]:
    """The ranked next best actions for a record the actor can read (404 otherwise); an
    action already turned into an open task carries that task's id."""
    rules = RULES.get(record_type)
    if rules is None:
        raise ValidationFailed(
            f"next best actions exist for {', '.join(RECORD_TYPES)}", field="record_type"
        )
    actions = rules(session, actor, record_id, now or utcnow())
    if not actions:
        return actions
    tasks = EnrichmentRepository(session).open_action_tasks(actor, record_type, record_id)
    return [replace(a, task_id=str(tasks[a.key])) if a.key in tasks else a for a in actions]


TASK_PRIORITY = ((85, "urgent"), (70, "high"), (0, "normal"))


def act_on(
    session: Session,
    actor: Actor,
    record_type: str,
    record_id: uuid.UUID,
    action_key: str,
    *,
    now: datetime | None = None,
) -> Task:
    """Turn one suggested action into a task on the record (one click): the action's title,
    its reason as the description, due at the suggested time, assigned to the actor."""
    actions = next_actions(session, actor, record_type, record_id, now=now)
    action = next((a for a in actions if a.key == action_key), None)
    if action is None:
        if action_key in KNOWN_KEYS.get(record_type, ()):
            raise Conflict(
                f"'{action_key}' is not a suggested action for this {record_type} any more",
                field="action_key",
            )
        raise NotFound(f"no next action '{action_key[:60]}' for a {record_type}")
    if action.task_id is not None:
        raise Conflict(
            "a task for this action is already open", field="action_key", task_id=action.task_id
        )
    priority = next(name for floor, name in TASK_PRIORITY if action.priority >= floor)
    data = TaskCreate(
        title=action.title,
        description=f"{action.reason}. (Next best action; signal: {action.signal})",
        due_at=action.due_at,
        priority=priority,
        related_type=record_type,
        related_id=record_id,
    )
    return TaskService(session, actor).create(data, origin=f"{TASK_ORIGIN_PREFIX}{action.key}")


def next_best_action(
    session: Session,
    actor: Actor,
    record_type: str,
    record_id: uuid.UUID,
    *,
    kind: str,
    channel: str = "email",
    text: str | None = None,
    touches: list[dict[str, Any]] | None = None,
    now: datetime | None = None,
) -> tuple[Action | None, dict[str, Any], list[Action]]:
    """Use Case 4's ``handleResponse``: the one action a response calls for (with how to
    carry it out), then the record's usual next best actions as alternatives."""
    if record_type not in ("lead", "contact"):
        raise ValidationFailed("responses are judged for leads and contacts", field="record_type")
    at = now or utcnow()
    usual = next_actions(session, actor, record_type, record_id, now=at)  # 404 if unreadable
    history = touches or []
    facts = ResponseFacts(
        kind=kind,
        channel=channel,
        text=text,
        touches=len(history),
        opens=sum(1 for t in history if t.get("kind") == "opened") + (kind == "opened"),
        clicks=sum(1 for t in history if t.get("kind") == "clicked") + (kind == "clicked"),
    )
    found = response_actions(facts, at)
    if found:
        action, params = found[0]
        params = {**params, "title": action.title, "due_at": action.due_at.isoformat()}
        return action, params, [a for a, _ in found[1:]] + usual
    if usual:
        return usual[0], {"title": usual[0].title, "due_at": usual[0].due_at.isoformat()}, usual[1:]
    return None, {}, []
