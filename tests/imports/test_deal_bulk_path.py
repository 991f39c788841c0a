"""The batch path of a deal import (``nexa.deal.bulk``) leaves exactly what the row-by-row
path (every row through ``DealService.create`` and its ``deal.created`` subscribers) leaves.

The same CSV is imported twice in the same database, each time inside a savepoint rolled
back afterwards: once with ``per_row=True`` (the reference) and once through the batch
path. Everything both leave is compared after replacing the new deals' ids by their names
and times by "<time>": the deals' columns (amounts, stage, dates, the stored prediction),
stage-history rows, audit rows, timeline entries (the account's too), search documents,
outbox rows, notifications, the closed-won flow's tasks, the issue report and the counts —
for a plain import and for a historical one (``--historical``)."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import or_, select

from nexa.core.audit import AuditEntry
from nexa.core.events import OutboxMessage
from nexa.job.service import deliver_outbox
from nexa.models import (
    Activity,
    DataImportIssue,
    Deal,
    DealStageChange,
    Notification,
    Order,
    SearchDocument,
    Task,
)
from tests.factories.account import make_account
from tests.factories.imports import csv_text
from tests.imports.test_bulk_path import normalise
from tests.imports.test_historical_deals import generated_history

HEADER = ["Name", "Amount", "Currency", "Stage", "Probability", "Close date", "Lost reason",
          "Tags", "Competitors", "Account id", "Owner", "Description"]  # fmt: skip


def rows(owner: str, account: str) -> list[list[str]]:
    def row(**cells: str) -> list[str]:
        out = [""] * len(HEADER)
        for name, value in cells.items():
            out[HEADER.index(name.replace("_", " ").capitalize())] = value
        return out

    return [
        row(name="Plain", amount="1200", stage="qualification", close_date="2027-03-31"),
        row(name="No stage", amount="90"),  # the first open stage
        row(name="With account", amount="5000", account_id=account, stage="proposal",
            tags="vip;east", competitors="Globex"),
        row(name="Overridden", amount="700", probability="35", stage="negotiation"),
        row(name="Won now", amount="8000", stage="closed_won", account_id=account),
        row(name="Lost no reason", amount="10", stage="closed_lost"),  # refused
        row(name="Lost", amount="10", stage="closed_lost", lost_reason="price"),
        row(name="Unknown stage", stage="nowhere"),  # refused
        row(name="No rate", amount="10", currency="JPY"),  # refused: no exchange rate
        row(name="Theirs", amount="300", owner=owner),  # another owner: row path
        row(name="No amount", description="just a name"),
        row(name="Bad account", account_id=str(uuid.uuid4())),  # refused
        row(name="Last", amount="1", stage="proposal", close_date="2027-01-01"),
    ]  # fmt: skip


def snapshot(db: Any, actor: Any, import_id: uuid.UUID, account_id: uuid.UUID) -> dict[str, Any]:
    from nexa.imports import service

    data_import = service.get_import(db, actor, import_id)
    deals = list(db.scalars(select(Deal).execution_options(nexa_scoped=True)))
    labels = {str(d.id): f"<deal {d.name}>" for d in deals}
    ids = [d.id for d in deals]
    # what the closed-won flow makes for a deal won on import (the row path): by name
    for order in db.scalars(
        select(Order).where(Order.deal_id.in_(ids)).execution_options(nexa_scoped=True)
    ):
        labels[str(order.id)] = f"<order of {labels[str(order.deal_id)]}>"
    for task in db.scalars(
        select(Task).where(Task.related_id.in_(ids)).execution_options(nexa_scoped=True)
    ):
        labels[str(task.id)] = f"<task {task.title}>"
    for entry in db.scalars(
        select(Activity).where(Activity.record_id == account_id).execution_options(nexa_scoped=True)
    ):
        source = (entry.data or {}).get("source") or {}
        if source.get("record_type") == "list":  # the handoff list, made on first use
            labels[source["record_id"]] = "<list>"
    skip = {"id", "created_at", "updated_at"}
    deal_rows = sorted(
        (
            normalise({c.key: getattr(d, c.key) for c in Deal.__mapper__.column_attrs
                       if c.key not in skip}, labels)
            for d in deals
        ),
        key=repr,
    )  # fmt: skip

    def rows_of(model: Any, columns: list[str], where: Any) -> list[Any]:
        found = db.scalars(select(model).where(where).execution_options(nexa_scoped=True))
        return sorted(
            (normalise({c: getattr(r, c) for c in columns}, labels) for r in found), key=repr
        )

    issues = db.scalars(
        select(DataImportIssue)
        .where(DataImportIssue.import_id == import_id)
        .order_by(DataImportIssue.row_number)
    )
    return {
        "counts": service.summary(data_import),
        "issues": [normalise([i.row_number, i.kind, i.field, i.message, i.record_id], labels)
                   for i in issues],
        "deals": deal_rows,
        "stages": rows_of(
            DealStageChange,
            ["deal_id", "from_stage", "to_stage", "from_stage_id", "to_stage_id",
             "changed_by_id", "changed_at", "days_in_previous_stage", "amount", "probability",
             "close_date"],
            DealStageChange.deal_id.in_(ids),
        ),
        "audit": rows_of(
            AuditEntry,
            ["event", "record_type", "record_id", "actor_id", "actor_name", "field",
             "old_value", "new_value"],
            AuditEntry.record_id.in_([*ids, account_id]),
        ),
        "timeline": rows_of(
            Activity,
            ["record_type", "record_id", "event", "summary", "actor_id", "actor_name", "data"],
            or_(Activity.record_id.in_(ids), Activity.record_id == account_id),
        ),
        "search": rows_of(
            SearchDocument,
            ["record_type", "record_id", "owner_id", "title", "body"],
            SearchDocument.record_id.in_(ids),
        ),
        "outbox": rows_of(
            OutboxMessage,
            ["event", "record_type", "record_id", "actor_id", "payload", "attempts"],
            OutboxMessage.record_id.in_([*ids, account_id]),
        ),
        "notifications": rows_of(
            Notification,
            ["user_id", "kind", "title", "body", "record_type", "record_id"],
            Notification.record_id.in_(ids),
        ),
        "tasks": rows_of(Task, ["title", "related_id", "owner_id"], Task.related_id.in_(ids)),
    }  # fmt: skip


def run_both(
    db: Any,
    users: Any,
    tmp_path: Path,
    header: list[str],
    data: Callable[[str], list[list[str]]],
    **options: Any,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """``data(account_id)``: the file's rows (an account made here they may link to)."""
    from nexa.imports import service

    admin = users.admin.actor
    account = make_account(db, name=f"Bulk Deal Co {uuid.uuid4().hex[:6]}")
    db.commit()
    path = tmp_path / "deals.csv"
    path.write_text(csv_text(header, data(str(account.id))))
    mapping = {"Owner": "owner_id"} if "Owner" in header else {}
    results = []
    for per_row in (True, False):
        savepoint = db.begin_nested()
        data_import, _ = service.start_import_from_path(
            db, admin, path, object_type="deal", mapping=mapping, batch_size=4, **options
        )
        service.run_import(db, admin, data_import.id, per_row=per_row)
        db.flush()
        # what the worker does after the import commits (the batch path's closed-won flow)
        deliver_outbox(db)
        db.flush()
        results.append(snapshot(db, admin, data_import.id, account.id))
        savepoint.rollback()
        db.expire_all()
    return results[0], results[1]


@pytest.fixture
def written(monkeypatch: Any) -> list[int]:
    from nexa.deal.bulk import BulkDeals

    counts: list[int] = []
    plain_write = BulkDeals.write

    def counted(self: BulkDeals, deals: list[Any]) -> None:
        counts.append(len(deals))
        plain_write(self, deals)

    monkeypatch.setattr(BulkDeals, "write", counted)
    return counts


def compare(reference: dict[str, Any], batch: dict[str, Any], *, queued: int) -> None:
    """Equal, but for the outbox row per won deal (``queued``) by which the batch path
    leaves the closed-won flow to after commit (the row path runs it inline)."""
    flows = [m for m in batch["outbox"] if m["event"] == "deal.closed_won_queued"]
    assert len(flows) == queued
    batch["outbox"] = [m for m in batch["outbox"] if m not in flows]
    assert reference["counts"] == batch["counts"]
    assert reference["issues"] == batch["issues"]
    for part in ("deals", "stages", "audit", "timeline", "search", "outbox", "notifications",
                 "tasks"):  # fmt: skip
        assert reference[part] == batch[part], part
    assert reference == batch


def test_batch_path_leaves_what_the_row_path_leaves(
    db: Any, users: Any, tmp_path: Path, written: list[int]
) -> None:
    data = functools.partial(rows, str(users.rep.id))
    reference, batch = run_both(db, users, tmp_path, HEADER, data)
    compare(reference, batch, queued=1)
    # what the reference did, so the comparison cannot pass by both doing nothing
    assert reference["counts"]["created"] == 9 and reference["counts"]["failed"] == 4
    assert sum(written) == 8  # all but the other owner's deal
    deals = {d["name"]: d for d in reference["deals"]}
    assert all(d["predicted_at"] == "<time>" for d in deals.values())
    assert deals["No stage"]["stage"] == "prospecting"
    assert deals["Overridden"]["probability_overridden"] is True
    assert len([t for t in reference["timeline"] if t["record_type"] == "account"]) >= 2
    assert reference["tasks"]  # the won deal's closed-won flow ran
    assert len([n for n in reference["notifications"] if n["record_id"] == "<deal Theirs>"]) == 1


def test_a_historical_batch_leaves_what_the_row_path_leaves(
    db: Any, users: Any, tmp_path: Path, written: list[int]
) -> None:
    from tests.imports.test_historical_deals import HEADER as HISTORY_HEADER

    data = generated_history("bulk", closed=12, open_=6)
    data.append(
        ["Bad order", "1", "", "", "", "", "", "", "proposal@2025-02-01;prospecting@2025-01-01"]
    )
    reference, batch = run_both(
        db, users, tmp_path, HISTORY_HEADER, lambda _: data, historical=True
    )
    compare(reference, batch, queued=0)  # a migrated history announces no close
    assert reference["counts"]["created"] == 18 and reference["counts"]["failed"] == 1
    assert sum(written) == 18
    assert len(reference["stages"]) > 18 * 1.5
