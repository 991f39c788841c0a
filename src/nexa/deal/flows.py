"""Deals' work across domains: the scoring step of a bulk create (``score_new_deals``, for
``nexa.deal.bulk``) and the closed-won flow.

The closed-won flow (spec, Deals, week 8), run by an in-transaction subscriber of
``deal.won`` so it commits or rolls back with the stage change (ARCHITECTURE rule 4):

* the account's type becomes ``customer``, and the deal's primary contact a customer
  (its lifecycle stage) unless it is one already or an advocate;
* onboarding tasks are created from the organization's template, assigned to the deal owner
  and linked to the deal;
* an order is generated from the deal (or the one made from its accepted quote is kept);
* the account joins the customer-success handoff list.

A group of deals created won by an import leaves the flow to after commit instead
(``nexa.deal.bulk``): a ``deal.closed_won_queued`` outbox row each, which the outbox
delivery hands to ``on_closed_won_queued`` — in the delivery's savepoint, so the flow's
steps commit together or are tried again.

Each step goes through its domain's service as the system actor, so each leaves its own
audit row and timeline entry; notifications and webhooks leave after commit from the outbox.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from nexa.account.schemas import AccountUpdate
from nexa.account.service import update_account
from nexa.contact.schemas import ContactUpdate
from nexa.contact.service import update_contact
from nexa.core.actor import SYSTEM
from nexa.core.db import utcnow
from nexa.core.events import OutboxMessage
from nexa.deal.repository import DealRepository
from nexa.forecast.service import cached_snapshot, refresh_new_deals
from nexa.models import OrgSetting
from nexa.order.service import create_order_from_deal, deal_has_order
from nexa.segment.service import add_members_as_system, system_list
from nexa.task.schemas import TaskCreate
from nexa.task.service import TaskService

ONBOARDING_KEY = "deal.won.onboarding_tasks"
HANDOFF_LIST_KEY = "cs_handoff"
HANDOFF_LIST_NAME = "Customer success handoff"
DEFAULT_ONBOARDING: list[dict[str, Any]] = [
    {"title": "Welcome email to {account}", "due_in_days": 1, "priority": "high"},
    {"title": "Kick-off call with {account}", "due_in_days": 3, "priority": "high"},
    {"title": "Set up {account}'s workspace and users", "due_in_days": 7, "priority": "normal"},
    {"title": "Hand {account} over to customer success", "due_in_days": 10, "priority": "normal"},
]


def read_norms(session: Session) -> None:
    """Have the per-process snapshot of the organization's norms loaded (at most a minute
    old) before a group of new deals goes in, as the row path reads it with its first deal."""
    cached_snapshot(session)


def score_new_deals(
    session: Session, deals: list[Any], stage_rows: list[dict[str, Any]], *, now: datetime
) -> None:
    """What the forecast's ``deal.created`` subscriber does, for a group of new deals (their
    column values and first stage-history rows): their predictions in one pass."""
    refresh_new_deals(session, deals, stage_rows, now=now, cached=True)


def onboarding_template(session: Session) -> list[dict[str, Any]]:
    row = session.get(OrgSetting, ONBOARDING_KEY)
    return list(row.value) if row is not None and row.value is not None else DEFAULT_ONBOARDING


def _title(template: str, account_name: str, deal_name: str) -> str:
    return (
        template.replace("{account}", account_name).replace("{deal}", deal_name).strip()[:300]
        or "Onboarding"
    )


def run_closed_won(session: Session, deal_id: uuid.UUID) -> None:
    repo = DealRepository(session)
    deal = repo.any_by_id(deal_id)
    account = repo.account_of(deal) if deal.account_id is not None else None
    if account is not None and account.deleted_at is None and account.type != "customer":
        update_account(session, SYSTEM, account.id, AccountUpdate(type="customer"))
    contact = repo.primary_contact_of(deal)
    if (
        contact is not None
        and contact.deleted_at is None
        and contact.lifecycle_stage not in ("customer", "advocate")
    ):
        update_contact(session, SYSTEM, contact.id, ContactUpdate(lifecycle_stage="customer"))
    account_name = account.name if account is not None else deal.name
    now = utcnow()
    tasks = TaskService(session, SYSTEM)
    for item in onboarding_template(session):
        tasks.create(
            TaskCreate(
                title=_title(str(item.get("title", "")), account_name, deal.name),
                priority=item.get("priority", "normal"),
                due_at=now + timedelta(days=int(item.get("due_in_days", 7))),
                related_type="deal",
                related_id=deal.id,
                owner_id=deal.owner_id,
            ),
            origin="onboarding",
        )
    create_order_from_deal(session, SYSTEM, deal)
    if account is not None and account.deleted_at is None:
        handoff = system_list(
            session, HANDOFF_LIST_KEY, name=HANDOFF_LIST_NAME, object_type="account"
        )
        add_members_as_system(session, handoff, [account.id])


def on_closed_won_queued(session: Session, message: OutboxMessage) -> None:
    """Outbox handler for ``deal.closed_won_queued`` (after the import commits): the
    closed-won flow of a deal won on import, if it is still won and has not had it (a deal
    the flow ran for has its order). Safe to run twice."""
    if message.record_id is None:
        return
    deal = DealRepository(session).find_any(message.record_id)
    if deal is None or deal.deleted_at is not None or deal.stage_kind != "won":
        return
    if deal_has_order(session, deal.id):
        return
    run_closed_won(session, deal.id)
