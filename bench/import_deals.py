"""`nexa import deals` into a fresh SQLite organization (issue 16: ≥ 1,000 deals/s).

Run: ``.venv/bin/python bench/import_deals.py [--deals 2000 10000] [--historical]
[--won 10 --lost 10]``. For each size it builds a scratch database (``nexa db upgrade``, one
admin), writes a CSV of generated deals (name, amount, stage — ``--won`` / ``--lost`` percent
of them won or lost, the rest in the four open stages — close date, a description; with
``--historical`` also created/entered/closed dates and, for half the closed ones, a stage
history) and runs ``nexa import deals FILE`` (``--historical``) as a
separate process. It prints the wall time (process start-up included) and the import's own
rate (the import's ``started_at`` → ``finished_at``, as recorded in ``data_imports``).
Won deals' closed-won flows run after the import commits, from their
``deal.closed_won_queued`` outbox rows: the script then delivers the outbox as the worker's
``outbox.deliver`` does (in a separate process, until nothing is pending) and prints how long
that took and what it made (onboarding tasks, orders).
``NEXA_BENCH_SRC`` runs another checkout's code (its ``src``), for before/after figures.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NEXA = str(ROOT / ".venv" / "bin" / "nexa")
STAGES = ("prospecting", "qualification", "proposal", "negotiation")


def write_csv(path: Path, n: int, historical: bool, won: float = 0.1, lost: float = 0.1) -> None:
    rng = random.Random(5)
    today = dt.date.today()
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        header = ["Name", "Amount", "Stage", "Close date", "Lost reason", "Description"]
        if historical:
            header += ["Created at", "Stage entered at", "Closed at", "Stage history"]
        w.writerow(header)
        for i in range(n):
            kind = rng.random()
            stage = "closed_won" if kind < won else "closed_lost" if kind < won + lost else None
            stage = stage or rng.choice(STAGES)
            created = today - dt.timedelta(days=rng.randint(30, 700))
            row = [
                f"Deal {i} {rng.choice(('Acme', 'Globex', 'Initech', 'Umbrella'))}",
                str(rng.randint(1_000, 90_000)),
                stage,
                (today + dt.timedelta(days=rng.randint(5, 120))).isoformat(),
                "price" if stage == "closed_lost" and not historical else "",
                f"Generated deal number {i}",
            ]
            if historical:
                entered = created + dt.timedelta(days=rng.randint(0, 25))
                closed = entered if stage.startswith("closed") else None
                history = ""
                if closed is not None and i % 2:
                    mid = created + dt.timedelta(days=(entered - created).days // 2)
                    history = f"prospecting@{created};proposal@{mid};{stage}@{closed}"
                row += [
                    created.isoformat(),
                    "" if history else entered.isoformat(),
                    closed.isoformat() if closed and not history else "",
                    history,
                ]
            w.writerow(row)


def sh(argv: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(argv, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv[1:])}:\n{(done.stdout + done.stderr)[-3000:]}")
    return done.stdout


DELIVER = """
import time
from nexa import modules
from nexa.core.db.session import session_scope
from nexa.job.service import deliver_outbox
from nexa.subscribers import install
install()
modules.load(modules.JOBS)
t0 = time.perf_counter()
while True:
    with session_scope() as s:
        if not deliver_outbox(s, batch=500):
            break
print(time.perf_counter() - t0)
"""


def one(n: int, historical: bool, won: float, lost: float) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="nexa-deals-") as tmp:
        var = Path(tmp)
        env = {**os.environ, "NEXA_VAR_DIR": str(var), "NEXA_DATABASE_URL": f"sqlite:///{var}/n.db"}
        src = os.environ.get("NEXA_BENCH_SRC")
        if src:
            env["PYTHONPATH"] = src
        sh([NEXA, "db", "upgrade"], env)
        sh([NEXA, "users", "create", "admin@bench.example", "--name", "Admin",
            "--password", "bench-password-1", "--role", "admin"], env)  # fmt: skip
        path = var / "deals.csv"
        write_csv(path, n, historical, won, lost)
        argv = [NEXA, "import", "deals", str(path)] + (["--historical"] if historical else [])
        t0 = time.perf_counter()
        sh(argv, env)
        wall = time.perf_counter() - t0
        with sqlite3.connect(var / "n.db") as conn:
            created, started, finished = conn.execute(
                "SELECT created_count, started_at, finished_at FROM data_imports"
            ).fetchone()
            deals = conn.execute("SELECT count(*) FROM deals").fetchone()[0]
        seconds = dt.datetime.fromisoformat(finished) - dt.datetime.fromisoformat(started)
        inside = seconds.total_seconds()
        flows = float(sh([str(ROOT / ".venv" / "bin" / "python"), "-c", DELIVER], env))
        with sqlite3.connect(var / "n.db") as conn:
            tasks = conn.execute("SELECT count(*) FROM tasks").fetchone()[0]
            orders = conn.execute("SELECT count(*) FROM orders").fetchone()[0]
        return {"deals": deals, "created": created, "wall": wall, "import": inside,
                "flows": flows, "tasks": tasks, "orders": orders}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--deals", type=int, nargs="+", default=[2000, 10000])
    parser.add_argument("--historical", action="store_true")
    parser.add_argument("--won", type=float, default=10, help="percent of won deals")
    parser.add_argument("--lost", type=float, default=10, help="percent of lost deals")
    args = parser.parse_args()
    for n in args.deals:
        r = one(n, args.historical, args.won / 100, args.lost / 100)
        kind = f"{args.won:g} % won, {args.lost:g} % lost"
        print(
            f"{n:>6} deals ({kind}{', historical' if args.historical else ''}): "
            f"{r['created']} created, "
            f"wall {r['wall']:.1f} s ({n / r['wall']:.0f} deals/s), "
            f"import {r['import']:.2f} s ({r['created'] / r['import']:.0f} deals/s); "
            f"after commit: outbox delivered in {r['flows']:.1f} s "
            f"({r['orders']} orders, {r['tasks']} onboarding tasks)",
            flush=True,
        )


if __name__ == "__main__":
    sys.exit(main())
