"""Deals with a past: made through the deal service (so events, timeline and the forecast
subscribers run), then their stage history, creation and close moved back in time."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from nexa.core.actor import SYSTEM
from nexa.deal.stages import move_stage
from nexa.models import Activity, Deal, DealStageChange
from tests.factories.deal import make_deal

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def make_history_deal(
    db: Any,
    *,
    path: list[tuple[str, datetime]],
    owner_id: uuid.UUID | None = None,
    amount: Decimal = Decimal("10000"),
    activities: list[datetime] | None = None,
    competitors: list[str] | None = None,
    close_date: date | None = None,
) -> Deal:
    """A deal that entered each stage of ``path`` at the given time (the first one is its
    creation); activities are logged calls on the deal at the given times."""
    first, created = path[0]
    deal = make_deal(
        db,
        SYSTEM,
        owner_id=owner_id,
        stage=first,
        amount=amount,
        competitors=competitors or [],
        close_date=close_date,
    )
    for key, _at in path[1:]:
        move_stage(
            db, SYSTEM, deal, key, lost_reason="went elsewhere" if key == "closed_lost" else None
        )
    rows = db.scalars(
        select(DealStageChange)
        .where(DealStageChange.deal_id == deal.id)
        .order_by(DealStageChange.changed_at)
    ).all()
    assert len(rows) == len(path)
    previous = None
    for row, (_key, at) in zip(rows, path, strict=True):
        row.changed_at = at
        row.days_in_previous_stage = (at - previous).days if previous else None
        previous = at
    deal.created_at = created
    deal.stage_entered_at = path[-1][1]
    if deal.stage_kind != "open":
        deal.closed_at = path[-1][1]
        # the history's own close date (closing today moved an empty or later one to today)
        deal.close_date = close_date
        rows[-1].close_date = close_date
    for at in activities or []:
        db.add(
            Activity(
                record_type="deal",
                record_id=deal.id,
                event="call.created",
                summary="Call logged",
                occurred_at=at,
                data={},
            )
        )
    db.flush()
    return deal


def synthetic_history(
    db: Any, n: int = 80, *, owners: list[uuid.UUID] | None = None, seed: int = 3
) -> list[Deal]:
    """``n`` closed deals over the 16 months before NOW. Won deals move quickly and are
    talked to often; lost ones linger, go quiet and meet competitors — with noise, so
    the signal is learnable but not perfect."""
    rng = random.Random(seed)
    owners = owners or [None]  # type: ignore[list-item]
    deals = []
    span = 480
    for i in range(n):
        won = rng.random() < 0.45
        start = NOW - timedelta(days=span - i * (span - 60) / n, hours=rng.random() * 10)
        stages = ["qualification", "proposal", "negotiation"]
        depth = rng.choice([1, 2, 3]) if not won else 3
        t = start
        path = []
        acts = []
        for key in stages[:depth]:
            path.append((key, t))
            stay = rng.uniform(4, 20) if won else rng.uniform(10, 45)
            if rng.random() < 0.15:  # noise: some won deals are slow, some lost ones quick
                stay = rng.uniform(4, 45)
            count = rng.randint(2, 5) if won else rng.randint(0, 2)
            acts += [t + timedelta(days=stay * rng.random()) for _ in range(count)]
            t = t + timedelta(days=stay)
        path.append(("closed_won" if won else "closed_lost", t))
        deals.append(
            make_history_deal(
                db,
                path=path,
                owner_id=owners[i % len(owners)],
                amount=Decimal(rng.choice([5000, 10000, 20000, 50000])),
                activities=sorted(acts),
                competitors=["Rival"] if (not won and rng.random() < 0.5) else [],
            )
        )
    return deals


def steady_history(db: Any, quarters: list[date], *, won: int = 1, lost: int = 3) -> list[Deal]:
    """The same quarter again and again: ten days before each quarter starts, ``won`` +
    ``lost`` deals of 10,000 enter negotiation (75 %) with a close date in the quarter; the
    won ones close 40 days in, the lost ones 50 days in. With the defaults each quarter's
    actual is 10,000, the stage probabilities forecast 30,000 and the last period is exact."""
    deals = []
    for start in quarters:
        at = datetime(start.year, start.month, start.day, tzinfo=UTC)
        opened = at - timedelta(days=10)
        close_date = (at + timedelta(days=45)).date()
        ends = [("closed_won", at + timedelta(days=40))] * won
        ends += [("closed_lost", at + timedelta(days=50))] * lost
        for end in ends:
            deals.append(
                make_history_deal(db, path=[("negotiation", opened), end], close_date=close_date)
            )
    return deals
