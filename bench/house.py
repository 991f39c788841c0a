"""API create and GET of two source trees side by side: a refactoring's before and after.

Run: ``.venv/bin/python bench/house.py --tree before=/path/to/old/checkout --tree after=.
[--requests 600] [--rounds 3] [--out BENCHMARKS.md]``

Each tree gets its own throw-away SQLite database (``nexa db upgrade`` and ``nexa demo
--accounts 300 --contacts 600``, run with that tree's ``src`` first on ``PYTHONPATH``) and is
served by ``nexa serve --workers 1`` on 127.0.0.1. The measurements alternate between the trees
(before, after, before, after …) so that the machine's other work falls on both alike, and the
median of the rounds is reported:

- GET one: ``GET /api/v1/contacts/{id}`` over the 600 contacts, 8 connections;
- create: ``POST /api/v1/leads`` with a new email each time, 8 connections (the lead intake
  flow: duplicate checks, enrichment, score, routing rules, audit, timeline, search, outbox).

Requests are authenticated with an admin API key. Everything stays on loopback; each cell is
bounded by ``--requests`` and ``--time-limit``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import os
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import NEXA, Result, Server, free_port, load, machine, sh

MARKS = ("<!-- house:start -->", "<!-- house:end -->")
CONC = 8


class Tree:
    def __init__(self, label: str, path: Path, var: Path) -> None:
        self.label = label
        self.path = path.resolve()
        self.var = var / label
        self.var.mkdir(parents=True)
        db = self.var / "nexa.db"
        self.env = {
            **os.environ,
            "PYTHONPATH": f"{self.path / 'src'}{os.pathsep}{self.path / 'sdk' / 'src'}",
            "NEXA_VAR_DIR": str(self.var),
            "NEXA_DATABASE_URL": f"sqlite:///{db}",
            "NEXA_COOKIE_SECURE": "false",
            "NEXA_JOBS_IMMEDIATE": "false",
        }
        sh([NEXA, "db", "upgrade"], self.env)
        sh([NEXA, "demo", "--accounts", "300", "--contacts", "600"], self.env)
        out = sh([NEXA, "keys", "create", "admin@demo.nexa", "-q"], self.env)
        self.headers = {"Authorization": f"Bearer {out.strip().splitlines()[-1]}"}
        with sqlite3.connect(db) as conn:
            self.contacts = [str(uuid.UUID(r[0])) for r in conn.execute("SELECT id FROM contacts")]
        self.results: dict[str, list[Result]] = {"get": [], "create": []}

    def measure(self, n: int, limit_s: float, round_no: int) -> None:
        port = free_port()
        argv = [NEXA, "serve", "--port", str(port), "--workers", "1"]
        server = Server(argv, self.env, 1, self.var / f"serve-{round_no}.log")
        try:
            server.wait_ready(120)
            base = f"http://127.0.0.1:{port}"
            ids = self.contacts

            def get(i: int) -> tuple[str, str, dict[str, Any] | None, dict[str, str]]:
                return ("GET", f"/api/v1/contacts/{ids[i % len(ids)]}", None, {})

            tag = uuid.uuid4().hex[:8]
            serial = itertools.count()  # the warm-up and the run share it: no email twice

            def create(i: int) -> tuple[str, str, dict[str, Any] | None, dict[str, str]]:
                n = next(serial)
                # names far apart, so the duplicate check finds no fuzzy twin (a 409)
                body = {
                    "first_name": uuid.uuid4().hex[:8],
                    "last_name": uuid.uuid4().hex[:10],
                    "email": f"bench.{tag}.{n}@example.org",
                }
                return ("POST", "/api/v1/leads", body, {})

            self.results["get"].append(load(base, get, self.headers, n, CONC, limit_s))
            self.results["create"].append(load(base, create, self.headers, n, CONC, limit_s))
        finally:
            server.stop()


def median(results: list[Result], attr: str) -> float:
    return statistics.median(getattr(r, attr) for r in results)


def report(trees: list[Tree], args: argparse.Namespace, seconds: float) -> str:
    info = machine()
    lines = [
        MARKS[0],
        "## House refactoring: API create and GET, before and after",
        "",
        f"- Date: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC; machine: {info['nproc']} CPUs "
        f"({info['cpu']}), {info['memory']}; Python {info['python']}, SQLite {info['sqlite']}; "
        f"load average at start {' / '.join(f'{x:.2f}' for x in args.loadavg)}",
        "- Command: `.venv/bin/python bench/house.py "
        + " ".join(f"--tree {t.label}=…" for t in trees)
        + f" --requests {args.requests} --rounds {args.rounds}` ({seconds:.0f} s)",
        "- Trees: " + "; ".join(f"**{t.label}** {args.describe.get(t.label, '')}" for t in trees),
        f"- Each tree: its own `nexa demo --accounts 300 --contacts 600` SQLite database, "
        f"`nexa serve --workers 1`, {CONC} connections, {args.requests} requests per cell (after "
        f"100 warm-up requests) or {args.time_limit:.0f} s; the trees measured in turn, "
        f"{args.rounds} rounds, medians shown",
        "",
        "| operation | tree | req/s | p50 ms | p99 ms | errors |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for op, title in (("get", "GET one contact"), ("create", "POST a lead")):
        for t in trees:
            rs = t.results[op]
            lines.append(
                f"| {title} | {t.label} | {median(rs, 'rps'):.0f} | {median(rs, 'p50_ms'):.1f} "
                f"| {median(rs, 'p99_ms'):.1f} | {sum(r.errors for r in rs)} |"
            )
    lines.append(MARKS[1])
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--tree", action="append", required=True, help="LABEL=PATH (repeatable)")
    ap.add_argument("--describe", action="append", default=[], help="LABEL=TEXT for the report")
    ap.add_argument("--requests", type=int, default=600)
    ap.add_argument("--time-limit", type=float, default=20.0)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--out", help="write the section into this file (e.g. BENCHMARKS.md)")
    args = ap.parse_args()
    args.loadavg = os.getloadavg()
    args.describe = dict(d.split("=", 1) for d in args.describe)
    started = time.monotonic()
    var = Path(tempfile.mkdtemp(prefix="nexa-house-"))
    try:
        trees = []
        for spec in args.tree:
            label, path = spec.split("=", 1)
            print(f"setting up {label} ({path})", flush=True)
            trees.append(Tree(label, Path(path), var))
        for round_no in range(args.rounds):
            for t in trees:
                t.measure(args.requests, args.time_limit, round_no)
                g, c = t.results["get"][-1], t.results["create"][-1]
                print(
                    f"round {round_no + 1} {t.label:8} GET {g.rps:6.0f} req/s p50 {g.p50_ms:5.1f}"
                    f" | create {c.rps:6.0f} req/s p50 {c.p50_ms:5.1f} err {g.errors + c.errors}",
                    flush=True,
                )
    finally:
        shutil.rmtree(var, ignore_errors=True)
    text = report(trees, args, time.monotonic() - started)
    print(text)
    if args.out:
        out = Path(args.out)
        current = out.read_text() if out.exists() else ""
        if MARKS[0] in current:
            head, rest = current.split(MARKS[0], 1)
            current = head + text + rest.split(MARKS[1], 1)[1]
        else:
            current = current.rstrip() + "\n\n" + text + "\n"
        out.write_text(current)
        print(f"wrote {out}")


if __name__ == "__main__":
    main()
