"""Importing a deal history (issue 16, point 2): ``nexa import deals FILE --historical``.

Rows carry created_at, the stage and when it was entered, closed_at for won/lost deals and
optionally their stage history (``stage_history``: ``stage@date;stage@date…``). The deals,
their stage-history rows and the model's training see those dates instead of "now"; dates
in the future or out of order are refused with the field and the reason. The files are made
here (a generated history), never read from ../shared."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from nexa.core.db import utcnow
from nexa.core.errors import PermissionDenied
from nexa.forecast import repository as forecast_repo
from nexa.forecast import service as forecast
from nexa.imports import service
from nexa.intelligence.deal_features import History, training_rows
from nexa.models import DataImportIssue, Deal, DealStageChange
from tests.factories.imports import csv_text

HEADER = [
    "Name",
    "Amount",
    "Stage",
    "Created at",
    "Stage entered at",
    "Closed at",
    "Close date",
    "Lost reason",
    "Stage history",
]
OPEN_PATH = ("prospecting", "qualification", "proposal", "negotiation")


def day(moment: datetime) -> str:
    return moment.date().isoformat()


def generated_history(
    tag: str, closed: int = 120, open_: int = 20, seed: int = 7
) -> list[list[str]]:
    """``closed`` won/lost deals over the last two years (every other one with its stage
    history, the others with created and closed dates only) and ``open_`` open deals. Won
    deals are larger and move faster: a signal the model can learn."""
    rng = random.Random(seed)
    today = utcnow().replace(hour=0, minute=0, second=0, microsecond=0)
    rows: list[list[str]] = []
    for i in range(closed):
        won = i % 2 == 0
        created = today - timedelta(days=rng.randint(120, 700))
        amount = rng.randint(20_000, 60_000) if won else rng.randint(2_000, 30_000)
        stays = [rng.randint(5, 20) if won else rng.randint(15, 60) for _ in range(3)]
        stage = "closed_won" if won else "closed_lost"
        history = ""
        at = created
        steps = [("prospecting", at)]
        for key, stay in zip(OPEN_PATH[1:], stays, strict=False):
            at = at + timedelta(days=stay)
            steps.append((key, at))
        closed_at = at + timedelta(days=rng.randint(3, 20))
        steps.append((stage, closed_at))
        if i % 4 < 2:
            history = ";".join(f"{k}@{day(t)}" for k, t in steps)
        rows.append(
            [
                f"Old deal {tag} {i}",
                str(amount),
                stage,
                day(created),
                "",
                day(closed_at),
                day(closed_at),
                "",
                history,
            ]
        )
    for i in range(open_):
        created = today - timedelta(days=rng.randint(20, 90))
        entered = created + timedelta(days=rng.randint(0, 15))
        rows.append(
            [
                f"Open deal {tag} {i}",
                str(rng.randint(5_000, 50_000)),
                OPEN_PATH[i % 4],
                day(created),
                day(entered),
                "",
                day(today + timedelta(days=rng.randint(10, 90))),
                "",
                "",
            ]
        )
    return rows


def write(folder: Path, rows: list[list[str]], header: list[str] = HEADER) -> Path:
    path = folder / f"deals-{uuid.uuid4().hex[:6]}.csv"
    path.write_text(csv_text(header, rows))
    return path


def run(db: Any, actor: Any, path: Path, **options: Any) -> Any:
    data_import, _ = service.start_import_from_path(
        db, actor, path, object_type="deal", historical=True, **options
    )
    return service.run_import(db, actor, data_import.id, **options.get("run", {}))


def deals_named(db: Any, prefix: str) -> dict[str, Deal]:
    stmt = select(Deal).where(Deal.name.startswith(prefix)).execution_options(nexa_scoped=True)
    return {d.name: d for d in db.scalars(stmt)}


def history_of(db: Any, deal_id: uuid.UUID) -> list[DealStageChange]:
    stmt = (
        select(DealStageChange)
        .where(DealStageChange.deal_id == deal_id)
        .order_by(DealStageChange.changed_at)
    )
    return list(db.scalars(stmt))


def issues_of(db: Any, data_import: Any) -> dict[int, DataImportIssue]:
    stmt = select(DataImportIssue).where(DataImportIssue.import_id == data_import.id)
    return {i.row_number: i for i in db.scalars(stmt)}


def test_an_imported_history_is_what_the_deal_model_trains_on(
    db: Any, users: Any, tmp_path: Path
) -> None:
    tag = uuid.uuid4().hex[:6]
    done = run(db, users.admin.actor, write(tmp_path, generated_history(tag)))
    assert service.summary(done)["created"] == 140, issues_of(db, done)
    facts = list(forecast_repo.load_facts(db, forecast_repo.all_deal_ids(db)).values())
    _, y, _ = training_rows(facts, History(facts), forecast_repo.stage_map(db))
    won, lost = sum(y), len(y) - sum(y)
    print(f"training snapshots: {won} won and {lost} lost")
    assert won >= 60 and lost >= 60
    report = forecast.train_deal_model(db, users.admin.actor)
    print(report["message"])
    assert "0 won and 0 lost" not in (report["message"] or "")
    assert report["closed_deals"] >= 120 and report["snapshots"] == len(y)
    assert report["trained"] is True, report["message"]


def test_the_rows_dates_replace_now(db: Any, users: Any, tmp_path: Path) -> None:
    tag = uuid.uuid4().hex[:6]
    rows = [
        [f"{tag} won with history", "1000", "", "2025-01-02", "", "", "2025-03-31", "",
         "prospecting@2025-01-02;proposal@2025-02-10;closed_won@2025-03-01T15:00:00Z"],
        [f"{tag} lost, dates only", "2000", "closed_lost", "2025-01-05", "", "2025-04-01",
         "", "", ""],
        [f"{tag} open in proposal", "3000", "proposal", "2025-06-01", "2025-06-20", "", "",
         "", ""],
    ]  # fmt: skip
    done = run(db, users.admin.actor, write(tmp_path, rows))
    assert service.summary(done)["created"] == 3, issues_of(db, done)
    deals = deals_named(db, tag)
    at = lambda text: datetime.fromisoformat(text).replace(tzinfo=UTC)  # noqa: E731

    won = deals[f"{tag} won with history"]
    assert won.stage == "closed_won" and won.stage_kind == "won" and won.probability == 100
    assert won.created_at == at("2025-01-02")
    assert won.stage_entered_at == won.closed_at == at("2025-03-01T15:00:00")
    steps = [(h.from_stage, h.to_stage, h.changed_at, h.days_in_previous_stage)
             for h in history_of(db, won.id)]  # fmt: skip
    assert steps == [
        (None, "prospecting", at("2025-01-02"), None),
        ("prospecting", "proposal", at("2025-02-10"), 39),
        ("proposal", "closed_won", at("2025-03-01T15:00:00"), 19),
    ]
    assert won.win_probability == 1.0 and won.predicted_at is not None

    lost = deals[f"{tag} lost, dates only"]
    assert lost.lost_reason == "imported" and lost.closed_at == at("2025-04-01")
    assert lost.created_at == at("2025-01-05")
    steps = [(h.to_stage, h.changed_at, h.days_in_previous_stage) for h in history_of(db, lost.id)]
    assert steps == [("prospecting", at("2025-01-05"), None), ("closed_lost", at("2025-04-01"), 86)]

    open_ = deals[f"{tag} open in proposal"]
    assert open_.closed_at is None and open_.created_at == at("2025-06-01")
    assert open_.stage_entered_at == at("2025-06-20")
    steps = [(h.to_stage, h.changed_at) for h in history_of(db, open_.id)]
    assert steps == [("prospecting", at("2025-06-01")), ("proposal", at("2025-06-20"))]
    # a migrated won deal does not run the closed-won flow of today (tasks, an order)
    from nexa.models import Order, Task

    assert not db.scalars(
        select(Task).where(Task.related_id == won.id).execution_options(nexa_scoped=True)
    ).all()
    assert not db.scalars(
        select(Order).where(Order.deal_id == won.id).execution_options(nexa_scoped=True)
    ).all()


def test_dates_in_the_future_or_out_of_order_are_refused_with_the_field(
    db: Any, users: Any, tmp_path: Path
) -> None:
    tag = uuid.uuid4().hex[:6]
    future = day(utcnow() + timedelta(days=3))
    rows = [
        [f"{tag} 1", "1", "closed_won", future, "", "", "", "", ""],
        [f"{tag} 2", "1", "closed_won", "2025-03-01", "", "2025-01-01", "", "", ""],
        [f"{tag} 3", "1", "", "2025-01-01", "", "", "", "",
         "prospecting@2025-02-01;proposal@2025-01-15"],
        [f"{tag} 4", "1", "proposal", "2025-01-01", "", "2025-02-01", "", "", ""],
        [f"{tag} 5", "1", "negotiation", "2025-01-01", "", "", "", "",
         "prospecting@2025-01-01;proposal@2025-01-15"],
        [f"{tag} 6", "1", "", "2025-01-01", "", "", "", "", "prospecting@soon"],
        [f"{tag} 7", "1", "", "2025-02-01", "", "", "", "", "prospecting@2025-01-01"],
        [f"{tag} 8", "1", "proposal", "2025-02-01", "2025-01-20", "", "", "", ""],
        [f"{tag} 9", "1", "", "", "", "", "", "", f"prospecting@{future}"],
        [f"{tag} 10", "1", "", "", "", "", "", "", "closed_won@2025-01-01;proposal@2025-02-01"],
        [f"{tag} 11", "1", "", "", "", "", "", "", "nowhere@2025-01-01"],
    ]  # fmt: skip
    done = run(db, users.admin.actor, write(tmp_path, rows))
    assert service.summary(done)["created"] == 0
    issues = issues_of(db, done)
    found = {n: (i.field, i.message) for n, i in issues.items()}
    assert found[1] == ("created_at", "created_at: is in the future")
    assert found[2] == ("closed_at", "closed_at: is before created_at")
    assert found[3][0] == "stage_history" and "out of order" in found[3][1]
    assert found[4] == ("closed_at", "closed_at: is only for won or lost deals")
    assert found[5][0] == "stage" and "ends in proposal" in found[5][1]
    assert found[6][0].startswith("stage_history") and "stage@date" in found[6][1]
    assert found[7] == ("stage_history", "stage_history: starts before created_at")
    assert found[8] == ("stage_entered_at", "stage_entered_at: is before created_at")
    assert found[9][0].startswith("stage_history") and "in the future" in found[9][1]
    assert found[10][0] == "stage_history" and "closed" in found[10][1]
    assert found[11][0] == "stage_history" and "nowhere" in found[11][1]


def test_a_historical_deal_import_is_for_admins(db: Any, users: Any, tmp_path: Path) -> None:
    path = write(tmp_path, generated_history(uuid.uuid4().hex[:6], closed=2, open_=0))
    with pytest.raises(PermissionDenied) as refused:
        service.start_import_from_path(
            db, users.manager.actor, path, object_type="deal", historical=True
        )
    assert refused.value.field == "historical"
