"""A group of 50 new deals through the bulk path (``nexa.deal.bulk``, what ``nexa import
deals`` uses) costs a few statements more than a group of 1, not 50 times as many: each
table is written with one executemany and the group is scored in one pass."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from nexa.deal.bulk import BulkDeals
from nexa.deal.schemas import DealCreate
from tests.query_counts import count_queries

STAGES = ("prospecting", "qualification", "proposal", "negotiation")


def _group(db: Any, actor: Any, n: int, tag: str) -> int:
    bulk = BulkDeals(db, actor)
    rows = [
        DealCreate(
            name=f"{tag} {i}",
            amount=Decimal(1000 + i),
            stage=STAGES[i % 4],
            tags=["imported"],
        )
        for i in range(n)
    ]
    assert all(bulk.in_bulk(row) for row in rows)
    with count_queries() as statements:
        bulk.write([bulk.prepare(row) for row in rows])
        db.flush()
    return len(statements)


def test_a_group_of_50_deals_costs_what_a_group_of_1_costs(db: Any, users: Any) -> None:
    actor = users.admin.actor
    _group(db, actor, 3, "warm")  # per-process caches (norms, settings) filled
    one = _group(db, actor, 1, "one")
    fifty = _group(db, actor, 50, "fifty")
    print(f"statements: 1 deal {one}, 50 deals {fifty}")
    assert fifty <= one + 2, (one, fifty)
