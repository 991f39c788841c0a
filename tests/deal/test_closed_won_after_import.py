"""Deals created won by an import (the bulk path, ``nexa.deal.bulk``) leave the closed-won
flow to after commit: one ``deal.closed_won_queued`` outbox row each, written with the
deals, which the outbox delivery turns into the flow (``nexa.deal.flows``) — once, and only
for a deal still won."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import select, update

from nexa.core.actor import SYSTEM
from nexa.core.events import OutboxMessage
from nexa.deal.bulk import BulkDeals
from nexa.deal.schemas import DealCreate
from nexa.deal.service import DealService
from nexa.deal.stages import move_stage
from nexa.job.service import deliver_outbox
from nexa.models import Account, Order, Task
from tests.factories.account import make_account
from tests.query_counts import count_queries


def _import(db: Any, actor: Any, names: list[str], **fields: Any) -> list[Any]:
    bulk = BulkDeals(db, actor)
    rows = [DealCreate(name=n, amount=Decimal(5000), stage="closed_won", **fields) for n in names]
    assert all(bulk.in_bulk(row) for row in rows)
    prepared = [bulk.prepare(row) for row in rows]
    bulk.write(prepared)
    db.flush()
    return [p.id for p in prepared]


def _tasks(db: Any, deal_id: Any) -> list[Task]:
    stmt = select(Task).where(Task.related_id == deal_id).execution_options(nexa_scoped=True)
    return list(db.scalars(stmt))


def _orders(db: Any, deal_id: Any) -> list[Order]:
    stmt = select(Order).where(Order.deal_id == deal_id).execution_options(nexa_scoped=True)
    return list(db.scalars(stmt))


def _queued(db: Any, ids: list[Any]) -> list[OutboxMessage]:
    stmt = select(OutboxMessage).where(
        OutboxMessage.event == "deal.closed_won_queued", OutboxMessage.record_id.in_(ids)
    )
    return list(db.scalars(stmt))


def test_a_group_of_50_won_deals_costs_what_a_group_of_1_costs(db: Any, users: Any) -> None:
    actor = users.admin.actor

    def group(n: int, tag: str) -> int:
        with count_queries() as statements:
            _import(db, actor, [f"{tag} {i}" for i in range(n)])
        return len(statements)

    group(2, "warm")  # per-process caches filled
    one, fifty = group(1, "one"), group(50, "fifty")
    print(f"statements: 1 won deal {one}, 50 won deals {fifty}")
    assert fifty <= one + 2, (one, fifty)


def test_the_flow_runs_after_commit_once_per_deal(db: Any, users: Any) -> None:
    account = make_account(db, name="Imported Customer Co")
    ids = _import(db, users.admin.actor, ["Won A", "Won B"], account_id=account.id)
    assert len(_queued(db, ids)) == 2
    assert not _tasks(db, ids[0]) and not _orders(db, ids[0])  # nothing inline

    deliver_outbox(db)
    db.flush()
    for deal_id in ids:
        assert len(_tasks(db, deal_id)) == 4  # the default onboarding template
        assert len(_orders(db, deal_id)) == 1
    assert db.get(Account, account.id).type == "customer"

    # delivered again (a retry, a second worker): nothing more
    db.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_([m.id for m in _queued(db, ids)]))
        .values(delivered_at=None)
    )
    deliver_outbox(db)
    db.flush()
    assert [len(_tasks(db, i)) for i in ids] == [4, 4]
    assert [len(_orders(db, i)) for i in ids] == [1, 1]


def test_a_deal_reopened_or_binned_before_delivery_gets_no_flow(db: Any, users: Any) -> None:
    reopened, binned = _import(db, users.admin.actor, ["Reopened", "Binned"])
    service = DealService(db, SYSTEM)
    move_stage(db, SYSTEM, service.get(reopened), "negotiation")
    service.delete(binned)
    db.flush()
    deliver_outbox(db)
    db.flush()
    assert not _tasks(db, reopened) and not _orders(db, reopened)
    assert not _tasks(db, binned) and not _orders(db, binned)


def test_winning_closes_today_and_makes_the_contact_a_customer(db: Any, users: Any) -> None:
    """Issue 18 point 7: a won deal does not keep a close date still to come, and its
    primary contact stops being a "lead" (its lifecycle stage becomes customer)."""
    from datetime import date, timedelta

    from nexa.models import Contact
    from tests.factories.contact import make_contact
    from tests.factories.deal import make_deal

    contact = make_contact(db, lifecycle_stage="lead")
    later = date.today() + timedelta(days=60)
    deal = make_deal(db, primary_contact_id=contact.id, close_date=later)
    move_stage(db, SYSTEM, deal, "closed_won")
    db.flush()
    assert deal.close_date == deal.closed_at.date() <= date.today()
    assert db.get(Contact, contact.id).lifecycle_stage == "customer"
    # created won with a date to come: the same
    made = make_deal(db, stage="closed_won", close_date=later)
    assert made.close_date <= date.today()
    # a past close date is the deal's own: kept
    earlier = date.today() - timedelta(days=3)
    kept = make_deal(db, close_date=earlier)
    move_stage(db, SYSTEM, kept, "closed_won")
    assert kept.close_date == earlier
