"""Creating or moving one deal costs what it costs in an empty organization (issue 16,
point 2): the 1,001st deal's create and stage move run no more statements, and read no
more rows, than the 1st's — nothing reads the organization's whole deal history on the
way (the norms are cached per process, ``nexa.forecast.service.org_history``)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import event, insert, select
from sqlalchemy.orm import ORMExecuteState

from nexa.core.actor import SYSTEM
from nexa.core.db import utcnow
from nexa.deal.stages import move_stage
from nexa.models import Deal, DealStageChange, Pipeline, PipelineStage
from tests.factories.deal import make_deal
from tests.query_counts import count_queries

EXISTING = 1000


def _insert_history(db: Any, owner_id: uuid.UUID, n: int) -> None:
    """``n`` deals with a past (two stage stays each, a third of them won, a third lost),
    written with one executemany per table."""
    pipeline_id = db.scalars(select(Pipeline.id).where(Pipeline.name == "Sales")).one()
    stages = {
        s.key: s
        for s in db.scalars(select(PipelineStage).where(PipelineStage.pipeline_id == pipeline_id))
    }
    now = utcnow()
    deals, changes = [], []
    for i in range(n):
        end = stages[("closed_won", "closed_lost", "proposal")[i % 3]]
        start = now - timedelta(days=90 + i % 60)
        moved = start + timedelta(days=5 + i % 20)
        deal_id = uuid.uuid4()
        deals.append(
            {
                "id": deal_id,
                "name": f"Old deal {i}",
                "amount": Decimal(1000 + i),
                "amount_org": Decimal(1000 + i),
                "currency": "USD",
                "probability": end.probability,
                "pipeline_id": pipeline_id,
                "stage_id": end.id,
                "stage": end.key,
                "stage_kind": end.kind,
                "stage_entered_at": moved,
                "closed_at": moved if end.kind != "open" else None,
                "lost_reason": "price" if end.kind == "lost" else None,
                "owner_id": owner_id,
                "created_at": start,
                "updated_at": moved,
            }
        )
        for frm, to, at in ((None, stages["qualification"], start), ("qualification", end, moved)):
            changes.append(
                {
                    "id": uuid.uuid4(),
                    "deal_id": deal_id,
                    "from_stage": frm,
                    "to_stage": to.key,
                    "to_stage_id": to.id,
                    "changed_at": at,
                    "probability": to.probability,
                }
            )
    db.execute(insert(Deal), deals)
    db.execute(insert(DealStageChange), changes)
    db.flush()


@contextmanager
def rows_read(db: Any) -> Iterator[list[int]]:
    """The rows each ORM SELECT of the session returns inside the block."""
    counts: list[int] = []

    def count(state: ORMExecuteState) -> Any:
        if not state.is_select:
            return None
        frozen = state.invoke_statement().freeze()
        counts.append(len(frozen().all()))
        return frozen()

    event.listen(db, "do_orm_execute", count)
    try:
        yield counts
    finally:
        event.remove(db, "do_orm_execute", count)


def _create_and_move(db: Any, users: Any) -> dict[str, tuple[int, int]]:
    """(statements, rows read) of a deal create and of its stage move, one deal after
    another as an import makes them."""
    make_deal(db, SYSTEM, owner_id=users.rep.id, stage="qualification")  # caches warm
    db.commit()
    out = {}
    with count_queries() as statements, rows_read(db) as rows:
        deal = make_deal(db, SYSTEM, owner_id=users.rep.id, stage="qualification")
        db.flush()
    out["create"] = (len(statements), sum(rows))
    with count_queries() as statements, rows_read(db) as rows:
        move_stage(db, SYSTEM, deal, "proposal")
        db.flush()
    out["move"] = (len(statements), sum(rows))
    db.commit()
    return out


def test_the_1001st_deal_costs_what_the_1st_costs(db: Any, users: Any) -> None:
    first = _create_and_move(db, users)
    _insert_history(db, users.rep.id, EXISTING)
    later = _create_and_move(db, users)
    # (statements, rows read): the same for the 1st and the 1,001st deal. Before the fix
    # (norms re-read whenever a stage-history row was added): create (22, 14) then (22, 3019),
    # move (19, 19) then (19, 3024); with it: (19, 10) and (16, 13) both times.
    assert later["create"] <= first["create"], (first, later)
    assert later["move"] <= first["move"], (first, later)
