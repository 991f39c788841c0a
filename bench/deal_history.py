"""A generated deal history for the intelligence benchmark (issue 16): deals with seasonality
and a known win-rate signal, written either as a CSV for ``nexa import deals --historical``
or straight into a scratch database.

Each deal has a hidden quality q ~ N(0, 1); its chance to be won is sigmoid(-1.1 + 1.3 q).
What a CRM can see follows q: better deals get more calls, meet competitors less and move
through stages faster. Deals are created at a seasonal rate (40 % more in the fourth
quarter than the mean, 40 % fewer in the first), so a quarter's revenue is not the previous
quarter's. Lost deals drop out at a stage (earlier more often); won deals go through every
stage. Deals whose path runs past ``now`` are open, cut at ``now``.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import random
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

STAGES = ("prospecting", "qualification", "proposal", "negotiation")
DROP_OUT = (0.35, 0.30, 0.20, 0.15)  # where a lost deal leaves the pipeline
YEARS = 3


@dataclass
class HistoryDeal:
    name: str
    amount: int
    created_at: dt.datetime
    close_date: dt.date
    path: list[tuple[str, dt.datetime]]  # (stage key, entered at), the first is the creation
    outcome: str | None  # won, lost or None (open)
    calls: list[dt.datetime] = field(default_factory=list)
    competitors: list[str] = field(default_factory=list)

    @property
    def stage(self) -> str:
        return self.path[-1][0]

    @property
    def closed_at(self) -> dt.datetime | None:
        return self.path[-1][1] if self.outcome else None


def _season(t: dt.datetime) -> float:
    """The creation rate's seasonal factor: 1.4 in the fourth quarter, 0.6 in the first."""
    quarter = (t.month - 1) // 3
    return (0.6, 0.9, 1.1, 1.4)[quarter]


def generate(n: int = 10_000, *, now: dt.datetime, seed: int = 16) -> list[HistoryDeal]:
    rng = random.Random(seed)
    start = now - dt.timedelta(days=365 * YEARS)
    span = (now - start).total_seconds()
    deals: list[HistoryDeal] = []
    while len(deals) < n:
        created = start + dt.timedelta(seconds=rng.random() * span)
        if rng.random() > _season(created) / 1.4:  # thinning: the seasonal rate
            continue
        q = rng.gauss(0, 1)
        won = rng.random() < 1 / (1 + math.exp(-(-1.1 + 1.3 * q)))
        last = len(STAGES) if won else _drop_out(rng)
        speed = math.exp(-0.35 * q)  # better deals move faster
        t = created
        path: list[tuple[str, dt.datetime]] = []
        calls: list[dt.datetime] = []
        for key in STAGES[:last]:
            path.append((key, t))
            stay = rng.expovariate(1 / (12 * speed if won else 20 * speed)) + 1
            rate = 0.25 * math.exp(0.6 * q)  # calls per day
            calls += [
                t + dt.timedelta(days=rng.random() * stay)
                for _ in range(_poisson(rng, rate * stay))
            ]
            t = t + dt.timedelta(days=stay)
        path.append(("closed_won" if won else "closed_lost", t))
        outcome: str | None = "won" if won else "lost"
        if t > now:  # still open today: cut the path at now
            path = [(key, at) for key, at in path if at <= now]
            outcome = None
        amount = int(round(rng.lognormvariate(9.3, 0.7), -2)) or 100
        expected = created + dt.timedelta(days=max(14.0, rng.gauss(70, 20)))
        deals.append(
            HistoryDeal(
                name=f"Deal {len(deals) + 1}",
                amount=amount,
                created_at=created,
                close_date=expected.date(),
                path=path,
                outcome=outcome,
                calls=sorted(c for c in calls if c <= now),
                competitors=["Rival"] if rng.random() < 0.5 / (1 + math.exp(q)) * 1.6 else [],
            )
        )
    deals.sort(key=lambda d: d.created_at)
    return deals


def _drop_out(rng: random.Random) -> int:
    """How many stages a lost deal went through (1 = lost from prospecting)."""
    x = rng.random()
    for i, share in enumerate(DROP_OUT):
        x -= share
        if x < 0:
            return i + 1
    return len(DROP_OUT)


def _poisson(rng: random.Random, lam: float) -> int:
    if lam <= 0:
        return 0
    k, p, limit = 0, 1.0, math.exp(-min(lam, 600))
    while True:
        p *= rng.random()
        if p < limit:
            return k
        k += 1


def summary(deals: list[HistoryDeal]) -> dict[str, Any]:
    won = sum(1 for d in deals if d.outcome == "won")
    lost = sum(1 for d in deals if d.outcome == "lost")
    return {"deals": len(deals), "won": won, "lost": lost, "open": len(deals) - won - lost}


def insert_direct(url: str, deals: list[HistoryDeal]) -> None:
    """Write the deals, their stage history and calls straight into the tables (no events,
    no predictions): the reference the import is measured against."""
    from sqlalchemy import insert, select

    from nexa.core.db import make_engine, session_scope
    from nexa.models import Activity, Deal, DealStageChange, Pipeline, PipelineStage

    engine = make_engine(url)
    with session_scope(engine=engine) as session:
        pipeline = session.scalars(select(Pipeline).where(Pipeline.is_default)).one()
        stages = {
            s.key: s
            for s in session.scalars(
                select(PipelineStage).where(PipelineStage.pipeline_id == pipeline.id)
            )
        }
        deal_rows, change_rows, call_rows = [], [], []
        for d in deals:
            deal_id = uuid.uuid4()
            stage = stages[d.stage]
            deal_rows.append(
                {
                    "id": deal_id,
                    "name": d.name,
                    "amount": d.amount,
                    "currency": "USD",
                    "amount_org": d.amount,
                    "probability": stage.probability,
                    "probability_overridden": False,
                    "weighted_value": d.amount * stage.probability / 100,
                    "close_date": d.close_date,
                    "close_date_pushes": 0,
                    "pipeline_id": pipeline.id,
                    "stage_id": stage.id,
                    "stage": stage.key,
                    "stage_kind": stage.kind,
                    "stage_entered_at": d.path[-1][1],
                    "closed_at": d.closed_at,
                    "lost_reason": "generated" if d.outcome == "lost" else None,
                    "competitors": d.competitors,
                    "tags": [],
                    "custom_fields": {},
                    "win_factors": [],
                    "risk_factors": [],
                    "created_at": d.created_at,
                    "updated_at": d.path[-1][1],
                    "version": 1,
                }
            )
            previous: tuple[str, dt.datetime] | None = None
            for key, at in d.path:
                change_rows.append(
                    {
                        "id": uuid.uuid4(),
                        "deal_id": deal_id,
                        "from_stage": previous[0] if previous else None,
                        "to_stage": key,
                        "from_stage_id": stages[previous[0]].id if previous else None,
                        "to_stage_id": stages[key].id,
                        "changed_at": at,
                        "days_in_previous_stage": (at - previous[1]).days if previous else None,
                        "amount": d.amount,
                        "probability": stages[key].probability,
                        "close_date": d.close_date,
                    }
                )
                previous = (key, at)
            for at in d.calls:
                call_rows.append(
                    {
                        "id": uuid.uuid4(),
                        "record_type": "deal",
                        "record_id": deal_id,
                        "event": "call.created",
                        "summary": "Call logged",
                        "actor_name": "Bench",
                        "occurred_at": at,
                        "data": {},
                    }
                )
        for model, rows in (
            (Deal, deal_rows),
            (DealStageChange, change_rows),
            (Activity, call_rows),
        ):
            for i in range(0, len(rows), 5000):
                session.execute(insert(model), rows[i : i + 5000])
    engine.dispose()


def write_csv(deals: list[HistoryDeal], path: Path) -> None:
    """The history as ``nexa import deals --historical`` reads it."""
    with path.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(
            [
                "name",
                "amount",
                "currency",
                "stage",
                "created_at",
                "close_date",
                "closed_at",
                "stage_history",
                "competitors",
            ]
        )
        for d in deals:
            writer.writerow(
                [
                    d.name,
                    d.amount,
                    "USD",
                    d.stage,
                    d.created_at.isoformat(),
                    d.close_date.isoformat(),
                    d.closed_at.isoformat() if d.closed_at else "",
                    ";".join(f"{key}@{at.isoformat()}" for key, at in d.path),
                    ",".join(d.competitors),
                ]
            )


# ---- the benchmark: import, train, backtest ---------------------------------------------------
MARK_START = "<!-- deal-history:start -->"
MARK_END = "<!-- deal-history:end -->"


def _run(cmd: list[str], env: dict[str, str]) -> tuple[str, float]:
    import subprocess
    import time

    started = time.perf_counter()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[1:4])} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout, seconds


def statements_per_create(url: str) -> tuple[int, int]:
    """Statements of one deal create through the service (events and subscribers included):
    the fewest and the most over three creates after a warm-up one."""
    from sqlalchemy import event

    from nexa.core.actor import SYSTEM
    from nexa.core.db import make_engine, session_scope
    from nexa.deal.schemas import DealCreate
    from nexa.deal.service import DealService

    engine = make_engine(url)
    counts: list[int] = []

    def counted(*_args: Any) -> None:
        counts[-1] += 1

    with session_scope(engine=engine) as session:
        DealService(session, SYSTEM).create(DealCreate(name="Warm-up", amount=1000))
        session.flush()
        event.listen(engine, "before_cursor_execute", counted)
        for i in range(3):
            counts.append(0)
            DealService(session, SYSTEM).create(DealCreate(name=f"Counted {i}", amount=1000))
            session.flush()
        event.remove(engine, "before_cursor_execute", counted)
        session.rollback()
    engine.dispose()
    return min(counts), max(counts)


def run(work: Path, n: int = 10_000, periods: int = 8) -> dict[str, Any]:
    """Generate ``n`` deals, import them with ``nexa import deals --historical`` into a fresh
    SQLite organization, train, and backtest ``periods`` quarters; the statements of one deal
    create before and after the history is there."""
    import os
    import sys

    from nexa.migrations import upgrade
    from nexa.subscribers import install

    install()
    db = work / "deal-history.db"
    url = f"sqlite:///{db.as_posix()}"
    env = dict(os.environ, NEXA_DATABASE_URL=url, NEXA_VAR_DIR=str(work), COLUMNS="160")
    nexa = str(Path(sys.executable).parent / "nexa")
    upgrade(url)
    _run([nexa, "users", "create", "bench@example.com", "--name", "Bench Admin", "--role",
          "admin", "--password", "bench-password-16"], env)  # fmt: skip
    first = statements_per_create(url)
    now = dt.datetime.now(dt.UTC)
    deals = generate(n, now=now)
    path = work / "deal-history.csv"
    write_csv(deals, path)
    out, import_s = _run([nexa, "import", "deals", str(path), "--historical"], env)
    import sqlite3

    with sqlite3.connect(db) as conn:
        created, started, finished = conn.execute(
            "SELECT created_count, started_at, finished_at FROM data_imports"
        ).fetchone()
    inside = (
        dt.datetime.fromisoformat(finished) - dt.datetime.fromisoformat(started)
    ).total_seconds()
    after = statements_per_create(url)
    train_out, train_s = _run([nexa, "ai", "train", "deals"], env)
    back_out, back_s = _run([nexa, "ai", "backtest", "deals", "--periods", str(periods)], env)
    last = back_out.strip().splitlines()[-1]
    figures = dict(pair.split("=", 1) for pair in last.split())
    return {
        **summary(deals),
        "import_s": import_s,
        "import_inside_s": inside,
        "imported": created,
        "import_output": out,
        "train_s": train_s,
        "train_output": train_out,
        "backtest_s": back_s,
        "backtest_output": back_out,
        "figures": {k: float(v) if v != "nan" else None for k, v in figures.items()},
        "statements_first": first,
        "statements_after": after,
    }


def _span(pair: tuple[int, int]) -> str:
    return str(pair[0]) if pair[0] == pair[1] else f"{pair[0]}–{pair[1]}"


def _mark(ok: bool) -> str:
    return "✅" if ok else "❌ missed"


def report(r: dict[str, Any]) -> str:
    import os
    import platform

    f = r["figures"]
    mape, stage, last = f.get("MAPE"), f.get("STAGE_MAPE"), f.get("LAST_PERIOD_MAPE")
    beats = mape is not None and stage is not None and last is not None and mape < min(stage, last)
    pct = lambda v: "—" if v is None else f"{v * 100:.1f} %"  # noqa: E731
    rate = r["imported"] / r["import_inside_s"] if r["import_inside_s"] else 0
    lines = [
        MARK_START,
        "## Intelligence: deals learned from a migrated history",
        "",
        f"Measured {dt.date.today()} on {platform.node()} ({os.cpu_count()} cores, "
        f"{platform.python_implementation()} {platform.python_version()}); run "
        "`.venv/bin/python bench/intelligence.py` (or `bench/deal_history.py` alone).",
        "",
        f"A generated history of {r['deals']:,} deals over three years (`bench/deal_history.py`: "
        f"{r['won']:,} won, {r['lost']:,} lost, {r['open']:,} open; creation 40 % above the mean "
        "in fourth quarters and 40 % below in first quarters; a hidden quality decides the win "
        "chance and shows in stage speed and competitors), written as a CSV with each deal's "
        "created, close and closed dates and its stage history.",
        "",
        "| step | command | time | figure |",
        "|---|---|---|---|",
        f"| import | `nexa import deals history.csv --historical` | {r['import_s']:.1f} s "
        f"(the import itself {r['import_inside_s']:.1f} s) | {r['imported']:,} deals, "
        f"{rate:,.0f} deals/s in the import (goal ≥ 1,000 {_mark(rate >= 1000)}); "
        f"{r['imported'] / r['import_s']:,.0f}/s with the command's start-up |",
        f"| train | `nexa ai train deals` | {r['train_s']:.1f} s | see below |",
        f"| backtest | `nexa ai backtest deals --periods 8` | {r['backtest_s']:.1f} s | "
        f"MAPE {pct(mape)}, stage probability {pct(stage)}, last period {pct(last)} "
        f"({'the model beats both ✅' if beats else 'the model does not beat both ❌'}) |",
        "",
        f"P10–P90: the model's simulated band held {pct(f.get('COVERAGE_P10_P90'))} of the "
        f"actuals; the band calibrated on the winner's residuals, left one period out, "
        f"{pct(f.get('CALIBRATED_COVERAGE'))} (the aim is 80 %).",
        "",
        "Statements of one deal create through the service (events, audit, timeline, search, "
        f"prediction; fewest–most of three): {_span(r['statements_first'])} in an empty "
        f"organization, {_span(r['statements_after'])} with the {r['deals']:,}-deal history in "
        "it (`tests/forecast/test_deal_cost.py` asserts the 1,001st costs what the 1st does).",
        "",
        "```",
        r["train_output"].strip(),
        "",
        r["backtest_output"].strip(),
        "```",
        MARK_END,
    ]
    return "\n".join(lines)


def write(out: Path, section: str) -> None:
    text = out.read_text() if out.exists() else "# Benchmarks\n"
    if MARK_START in text:
        before = text.split(MARK_START)[0]
        after = text.split(MARK_END, 1)[1] if MARK_END in text else ""
        text = before + section + after
    else:
        text = text.rstrip() + "\n\n" + section + "\n"
    out.write_text(text)


def main() -> None:
    import argparse
    import os
    import tempfile

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--out", type=Path, default=Path(__file__).resolve().parents[1] / "BENCHMARKS.md"
    )
    parser.add_argument("--deals", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="nexa-bench-deals-") as folder:
        os.environ["NEXA_VAR_DIR"] = folder
        result = run(Path(folder), args.deals)
    print(report(result))
    write(args.out, report(result))


if __name__ == "__main__":
    main()
