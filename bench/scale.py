"""The CRM at scale, against the bare database and a bare web stack, on SQLite and PostgreSQL.

Run: ``.venv/bin/python bench/scale.py --size medium`` (or ``bench/run.py --size medium``,
which runs this after the small API benchmark). For each database it

1. builds a scratch database and generates the organization (``nexa demo --size``), timed;
2. starts ``nexa serve`` and the bare FastAPI app (bench/bare_app.py) with 1 and 2 workers
   and loads them from this process (httpx, asyncio) at 8 and 32 connections: GET one
   contact, a filtered and sorted list of 50, create, update;
3. times the big reads one request at a time through the API and the same query as raw SQL
   through the driver: a list page over every contact, global search, the pipeline by stage
   with weighted totals, the roll-up of an account with 1,000 children;
4. imports leads from CSV with dedupe and exports every contact (rows/s), batch-rescores every
   lead (rows/s), and records the server's memory.

It rewrites the ``scale`` section of BENCHMARKS.md. Goals are reported, never failed.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run as base  # bench/run.py: servers, load generator pieces, machine

ROOT = base.ROOT
NEXA = base.NEXA
PG_ADMIN = os.environ.get("NEXA_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/test")
LIST_QUERY = "limit=50&sort=last_name&filter=lifecycle_stage:eq:customer"
SEARCH_TERMS = ("smith", "garcia software", "patel", "horizon", "nguyen", "willow labs")
IMPORT_ROWS = {"small": 2_000, "medium": 5_000, "large": 10_000, "xlarge": 10_000}


def marks(size: str) -> tuple[str, str]:
    """Each size has its own section of BENCHMARKS.md (a medium run keeps the xlarge one)."""
    return f"<!-- scale-{size}:start -->", f"<!-- scale-{size}:end -->"


def pg_answers() -> bool:
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN, connect_timeout=2):
            return True
    except Exception:
        return False


def timed(fn: Callable[[int], Any], n: int) -> dict[str, float]:
    """p50 / p95 in ms of ``n`` sequential calls (after two warm-up calls)."""
    fn(0)
    fn(1)
    times = []
    for i in range(n):
        t0 = time.perf_counter()
        fn(i)
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    return {
        "p50": statistics.median(times),
        "p95": times[min(len(times) - 1, int(0.95 * len(times)))],
    }


# ---- one database -----------------------------------------------------------------------


class Target:
    """A scratch database, generated at ``size``."""

    def __init__(self, kind: str, size: str, var: Path) -> None:
        self.kind = kind
        self.size = size
        self.var = var / kind
        self.var.mkdir(parents=True, exist_ok=True)
        if kind == "sqlite":
            self.path = self.var / "nexa.db"
            self.url = f"sqlite:///{self.path}"
        else:
            self.name = f"nexa_bench_{size}_{uuid.uuid4().hex[:6]}"
            import psycopg

            with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{self.name}"')
            self.url = PG_ADMIN.rsplit("/", 1)[0] + f"/{self.name}"
        self.env = {
            **os.environ,
            "NEXA_VAR_DIR": str(self.var),
            "NEXA_DATABASE_URL": self.url,
            "NEXA_COOKIE_SECURE": "false",
        }

    def drop(self) -> None:
        if self.kind == "postgresql":
            import psycopg

            with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    def raw(self) -> Any:
        """A driver connection (sqlite3 / psycopg), no SQLAlchemy."""
        if self.kind == "sqlite":
            return sqlite3.connect(self.path)
        import psycopg

        return psycopg.connect(self.url)

    def param(self) -> str:
        return "?" if self.kind == "sqlite" else "%s"

    def uid(self, value: Any) -> str:
        """An id as the API spells it (SQLite stores 32 hex digits)."""
        return str(uuid.UUID(str(value)))

    def db_id(self, value: str) -> Any:
        return uuid.UUID(value).hex if self.kind == "sqlite" else uuid.UUID(value)


def sh(argv: list[str], env: dict[str, str]) -> str:
    """Run a command; on failure show what it printed."""
    done = subprocess.run(argv, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(
            f"{' '.join(argv[1:])} exited {done.returncode}:\n{(done.stdout + done.stderr)[-3000:]}"
        )
    return done.stdout


def generate(target: Target) -> dict[str, Any]:
    sh([NEXA, "db", "upgrade"], target.env)
    t0 = time.perf_counter()
    out = sh([NEXA, "demo", "--size", target.size], target.env)
    seconds = time.perf_counter() - t0
    rows = next((line for line in out.splitlines() if "rows in" in line), "").strip()
    held = next((line for line in out.splitlines() if "database now holds" in line), "").strip()
    return {"seconds": seconds, "line": rows.lstrip("✓ "), "holds": held}


def sample(target: Target) -> dict[str, Any]:
    p = target.param()
    with target.raw() as conn:
        cur = conn.cursor()
        cur.execute("SELECT id FROM contacts ORDER BY created_at LIMIT 2000")
        contacts = [target.uid(r[0]) for r in cur.fetchall()]
        cur.execute(f"SELECT id FROM accounts WHERE name = {p}", ("Global Holdings Group",))
        parent = target.uid(cur.fetchone()[0])
        cur.execute("SELECT id FROM accounts ORDER BY created_at LIMIT 1")
        account = target.uid(cur.fetchone()[0])
        cur.execute("SELECT id FROM leads ORDER BY created_at DESC LIMIT 200")
        leads = [target.uid(r[0]) for r in cur.fetchall()]
        cur.execute("SELECT count(*) FROM contacts")
        n_contacts = cur.fetchone()[0]
        cur.execute("SELECT count(*) FROM deals")
        n_deals = cur.fetchone()[0]
        cur.execute("SELECT count(*) FROM leads")
        n_leads = cur.fetchone()[0]
        cur.execute("SELECT count(*) FROM search_documents")
        n_docs = cur.fetchone()[0]
    random.Random(7).shuffle(contacts)
    return {
        "contacts": contacts,
        "leads": leads,
        "parent": parent,
        "account": account,
        "n_contacts": n_contacts,
        "n_deals": n_deals,
        "n_leads": n_leads,
        "n_docs": n_docs,
    }


def bare_queries(target: Target, s: dict[str, Any], n: int) -> dict[str, dict[str, float]]:
    """The same reads as raw SQL through the driver."""
    p = target.param()
    conn = target.raw()
    cur = conn.cursor()
    ids = [target.db_id(i) for i in s["contacts"]]
    parent = target.db_id(s["parent"])

    def one(i: int) -> None:
        cur.execute(f"SELECT * FROM contacts WHERE id = {p}", (ids[i % len(ids)],))
        cur.fetchall()

    def page(i: int) -> None:
        cur.execute(
            "SELECT * FROM contacts WHERE lifecycle_stage = 'customer' AND deleted_at IS NULL "
            "ORDER BY last_name, id LIMIT 50"
        )
        cur.fetchall()

    def search(i: int) -> None:
        term = SEARCH_TERMS[i % len(SEARCH_TERMS)]
        if target.kind == "sqlite":
            q = " ".join(f'"{w}"*' for w in term.split())
            cur.execute(
                "SELECT d.record_type, d.record_id, d.title FROM search_fts f "
                "JOIN search_documents d ON d.rowid = f.rowid WHERE search_fts MATCH ? "
                "ORDER BY bm25(search_fts) LIMIT 20",
                (q,),
            )
        else:
            q = " & ".join(f"{w}:*" for w in term.split())
            cur.execute(
                "SELECT record_type, record_id, title FROM search_documents "
                "WHERE tsv @@ to_tsquery('simple', %s) "
                "ORDER BY ts_rank(tsv, to_tsquery('simple', %s)) DESC LIMIT 20",
                (q, q),
            )
        cur.fetchall()

    def pipeline(i: int) -> None:
        cur.execute(
            "SELECT stage_id, count(*), sum(amount_org), sum(weighted_value) FROM deals "
            "WHERE deleted_at IS NULL GROUP BY stage_id"
        )
        cur.fetchall()

    def rollup(i: int) -> None:
        cur.execute(
            f"SELECT count(*), sum(annual_revenue) FROM accounts WHERE parent_id = {p}",
            (parent,),
        )
        cur.fetchall()
        cur.execute(
            "SELECT count(*), sum(d.amount_org) FROM deals d "
            f"JOIN accounts a ON a.id = d.account_id WHERE a.parent_id = {p} OR a.id = {p}",
            (parent, parent),
        )
        cur.fetchall()

    out = {}
    for name, fn in (
        ("get", one),
        ("page", page),
        ("search", search),
        ("pipeline", pipeline),
        ("rollup", rollup),
    ):
        try:
            out[name] = timed(fn, n)
        except Exception as exc:  # a schema detail the raw query got wrong: say so
            print(f"  bare {name}: {type(exc).__name__}: {exc}", flush=True)
            conn.rollback()
    conn.close()
    return out


def api_queries(base_url: str, auth: dict[str, str], s: dict[str, Any], n: int) -> dict[str, Any]:
    client = httpx.Client(base_url=base_url, headers=auth, timeout=60)
    ids = s["contacts"]

    def get(path: str) -> Callable[[int], None]:
        def call(i: int) -> None:
            resp = client.get(path.format(i=i))
            resp.raise_for_status()

        return call

    def one(i: int) -> None:
        client.get(f"/api/v1/contacts/{ids[i % len(ids)]}").raise_for_status()

    def search(i: int) -> None:
        term = SEARCH_TERMS[i % len(SEARCH_TERMS)]
        client.get("/api/v1/search", params={"q": term, "limit": 20}).raise_for_status()

    leads = s["leads"]

    def score(i: int) -> None:  # the lead's score with its factors, explained on demand
        client.get(f"/api/v1/leads/{leads[i % len(leads)]}/score").raise_for_status()

    out = {
        "score": timed(score, n),
        "get": timed(one, n),
        "page": timed(get(f"/api/v1/contacts?{LIST_QUERY}"), n),
        "search": timed(search, n),
        "pipeline": timed(get("/api/v1/deals/pipeline"), max(5, n // 4)),
        "rollup": timed(get(f"/api/v1/accounts/{s['parent']}/rollup"), max(5, n // 4)),
    }
    client.close()
    return out


def concurrency(
    target: Target, auth: dict[str, str], s: dict[str, Any], args: argparse.Namespace
) -> tuple[dict[tuple[str, str, int, int], base.Result], dict[tuple[str, int], tuple[int, int]]]:
    ids = s["contacts"]
    account = s["account"]
    results: dict[tuple[str, str, int, int], base.Result] = {}
    rss: dict[tuple[str, int], tuple[int, int]] = {}
    created: list[str] = []

    def nexa_ops() -> dict[str, Callable[[int], base.Request]]:
        def get(i: int) -> base.Request:
            return "GET", f"/api/v1/contacts/{ids[i % len(ids)]}", None, {}

        def page(i: int) -> base.Request:
            return "GET", f"/api/v1/contacts?{LIST_QUERY}", None, {}

        def create(i: int) -> base.Request:
            body = {
                "first_name": "Bench",
                "last_name": f"Create {uuid.uuid4().hex[:10]}",
                "account_id": account,
            }
            return "POST", "/api/v1/contacts", body, {}

        def update(i: int) -> base.Request:
            body = {"title": f"Buyer {i}"}
            return "PATCH", f"/api/v1/contacts/{ids[i % len(ids)]}", body, {"If-Match": "*"}

        return {"get": get, "list": page, "create": create, "update": update}

    def bare_ops() -> dict[str, Callable[[int], base.Request]]:
        return {
            "get": lambda i: ("GET", f"/contacts/{ids[i % len(ids)]}", None, {}),
            "list": lambda i: ("GET", "/contacts?limit=50", None, {}),
        }

    del created
    for workers in base.WORKERS:
        for name in ("nexa", "bare"):
            port = base.free_port()
            if name == "nexa":
                argv = [NEXA, "serve", "--port", str(port), "--workers", str(workers)]
                ops, headers = nexa_ops(), auth
            else:
                argv = [base.UVICORN, "--app-dir", str(ROOT / "bench"), "bare_app:app"]
                argv += ["--port", str(port), "--workers", str(workers)]
                ops, headers = bare_ops(), {}
            server = base.Server(argv, target.env, workers, target.var / f"{name}-{workers}.log")
            try:
                server.wait_ready()
                rss_start = base.tree_rss_kib(server.proc.pid)
                url = f"http://127.0.0.1:{port}"
                for op, make in ops.items():
                    for conc in base.CONCURRENCY:
                        r = base.load(url, make, headers, args.requests, conc, args.time_limit)
                        results[(name, op, workers, conc)] = r
                        print(
                            f"  {target.kind} {name:4} {op:6} w={workers} c={conc:2}: "
                            f"{r.rps:7.1f} req/s p50 {r.p50_ms:6.1f} ms p99 {r.p99_ms:6.1f} ms "
                            f"err={r.errors} lg-cpu {r.cpu_s:.1f}s",
                            flush=True,
                        )
                rss[(name, workers)] = (rss_start, base.tree_rss_kib(server.proc.pid))
            finally:
                server.stop()
    return results, rss


def import_export(target: Target, s: dict[str, Any]) -> dict[str, Any]:
    """Import leads from CSV (a tenth of them twins of existing emails: dedupe), export all
    contacts; rows/s from the CLI's wall time (process start-up included)."""
    n = IMPORT_ROWS[target.size]
    path = target.var / "leads.csv"
    with target.raw() as conn:
        cur = conn.cursor()
        cur.execute("SELECT email FROM leads WHERE email IS NOT NULL LIMIT 1000")
        twins = [r[0] for r in cur.fetchall()]
    rng = random.Random(3)
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["First name", "Last name", "Email", "Company", "Source"])
        from nexa.demo.scale import FIRST, LAST, SUFFIX, WORD_A, WORD_B

        for i in range(n):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            company = f"{rng.choice(WORD_A)} {rng.choice(WORD_B)} {rng.choice(SUFFIX)} {i}"
            email = (
                rng.choice(twins) if twins and i % 10 == 0 else f"{first}.{last}{i}@imp.example.net"
            )
            w.writerow([first, last, email.lower(), company, rng.choice(("website", "event"))])
    before = _count(target, "leads")
    t0 = time.perf_counter()
    sh([NEXA, "import", "leads", str(path), "--on-duplicate", "skip"], target.env)
    import_s = time.perf_counter() - t0
    imported = _count(target, "leads") - before
    t0 = time.perf_counter()
    exported = subprocess.run(
        [NEXA, "export", "contacts", "--format", "csv"],
        env=target.env,
        check=True,
        capture_output=True,
    ).stdout
    export_s = time.perf_counter() - t0
    export_rows = max(0, exported.count(b"\n") - 1)
    return {
        "import_rows": n,
        "imported": imported,
        "import_s": import_s,
        "export_rows": export_rows,
        "export_s": export_s,
    }


def _count(target: Target, table: str) -> int:
    with target.raw() as conn:
        cur = conn.cursor()
        cur.execute(f"SELECT count(*) FROM {table}")  # a literal table name
        return int(cur.fetchone()[0])


def rescoring(target: Target) -> dict[str, Any]:
    code = (
        "import time,json;from nexa.core.db import make_engine,session_scope;"
        f"from nexa.scoring import service as s;e=make_engine({target.url!r});"
        "t=time.perf_counter();\n"
        "with session_scope(engine=e) as x: st=s.score_leads(x,None,reason='bench')\n"
        "print(json.dumps({'s':time.perf_counter()-t,'stats':st}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=target.env, check=True, capture_output=True, text=True
    ).stdout
    import json

    data = json.loads(out.strip().splitlines()[-1])
    return {"seconds": data["s"], "stats": data["stats"]}


def bench_target(kind: str, args: argparse.Namespace, var: Path) -> dict[str, Any]:
    print(f"== {kind}: generating the {args.size} organization", flush=True)
    target = Target(kind, args.size, var)
    try:
        gen = generate(target)
        print(f"  {gen['line']}", flush=True)
        s = sample(target)
        key = sh([NEXA, "keys", "create", "admin@demo.nexa", "-q"], target.env)
        auth = {"Authorization": f"Bearer {key.strip().splitlines()[-1]}"}
        print("  batch rescoring", flush=True)
        scoring = rescoring(target)
        print("  bare database queries", flush=True)
        bare = bare_queries(target, s, args.samples)
        port = base.free_port()
        server = base.Server(
            [NEXA, "serve", "--port", str(port), "--workers", "1"],
            target.env,
            1,
            target.var / "single.log",
        )
        try:
            server.wait_ready()
            print("  API queries, one at a time", flush=True)
            api = api_queries(f"http://127.0.0.1:{port}", auth, s, args.samples)
        finally:
            server.stop()
        print("  concurrency", flush=True)
        results, rss = concurrency(target, auth, s, args)
        print("  import / export", flush=True)
        io = import_export(target, s)
        return {
            "generate": gen,
            "sample": {k: v for k, v in s.items() if k.startswith("n_")},
            "bare": bare,
            "api": api,
            "load": results,
            "rss": rss,
            "io": io,
            "scoring": scoring,
        }
    finally:
        target.drop()


# ---- the report -------------------------------------------------------------------------


def _ms(d: dict[str, float] | None, key: str = "p95") -> str:
    if not d:
        return "—"
    return f"{d[key]:.1f}" if d[key] >= 1 else f"{d[key]:.3f}"


def _ratio(a: float | None, b: float | None) -> str:
    if not a or not b:
        return "—"
    return f"{a / b:.1f}×"


def _goal(ok: bool) -> str:
    return "✅" if ok else "❌"


def section(args: argparse.Namespace, runs: dict[str, dict[str, Any]], seconds: float) -> str:
    m = base.machine()
    lines = [
        marks(args.size)[0],
        f"## At scale: the `{args.size}` organization",
        "",
        f"Measured {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC on {m['nproc']} cores "
        f"({m['cpu']}), {m['memory']}, Python {m['python']}, SQLite {m['sqlite']}; "
        f"load average at start {args.loadavg[0]:.2f}. Run: "
        f"`.venv/bin/python bench/scale.py --size {args.size}` ({seconds / 60:.1f} min in all). "
        "The load generator runs on the same 2 cores as the server: its CPU seconds are beside "
        "each figure. Goals are reported, not failed.",
        "",
    ]
    for kind, r in runs.items():
        n = r["sample"]
        lines += [
            f"### {kind}",
            "",
            f"`nexa demo --size {args.size}` took {r['generate']['seconds']:.0f} s (the "
            f"ordinary demo first, through the services; then the {r['generate']['line']}). "
            f"Holds {n['n_contacts']:,} contacts, {n['n_leads']:,} "
            f"leads, {n['n_deals']:,} deals, {n['n_docs']:,} search documents.",
            "",
            "One request at a time (ms; the API on 1 worker, authenticated as the admin, "
            "permission-scoped and serialized; bare = the same query as raw SQL through the "
            "driver):",
            "",
            "| read | API p50 | API p95 | bare p50 | bare p95 | API / bare (p50) | goal |",
            "|---|---|---|---|---|---|---|",
        ]
        goals = {
            "get": ("GET one contact", None),
            "page": ("page of 50 contacts, filtered and sorted", 50.0),
            "search": ("global search (top 20)", 100.0),
            "pipeline": ("pipeline by stage, weighted totals", 300.0),
            "rollup": ("roll-up of a parent with 1,000 children", None),
            "score": ("a lead's score with its factors (explained on demand)", None),
        }
        for key, (label, goal) in goals.items():
            a, b = r["api"].get(key), r["bare"].get(key)
            if a is None:
                continue
            mark = "—" if goal is None else f"p95 ≤ {goal:.0f} ms {_goal(a['p95'] <= goal)}"
            lines.append(
                f"| {label} | {_ms(a, 'p50')} | {_ms(a)} | {_ms(b, 'p50')} | {_ms(b)} | "
                f"{_ratio(a and a['p50'], b and b['p50'])} | {mark} |"
            )
        lines += [
            "",
            "Under load (requests/s, p50 / p99 ms; the bare web stack reads the same row with "
            "SQLAlchemy and a response model, served the same way):",
            "",
            "| operation | workers | conns | Nexa req/s | p50 | p99 | bare req/s | Nexa / bare | "
            "load-gen CPU s |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        load_results = r["load"]
        for op in ("get", "list", "create", "update"):
            for workers in base.WORKERS:
                for conc in base.CONCURRENCY:
                    x = load_results.get(("nexa", op, workers, conc))
                    if x is None:
                        continue
                    y = load_results.get(("bare", op, workers, conc))
                    lines.append(
                        f"| {op} | {workers} | {conc} | {x.rps:.0f} | {x.p50_ms:.1f} | "
                        f"{x.p99_ms:.1f} | {'—' if y is None else f'{y.rps:.0f}'} | "
                        f"{'—' if y is None else f'{x.rps / y.rps * 100:.0f} %'} | "
                        f"{x.cpu_s:.1f} |"
                    )
        g1 = load_results.get(("nexa", "get", 1, 32))
        b1 = load_results.get(("bare", "get", 1, 32))
        p8 = load_results.get(("nexa", "get", 1, 8))
        if g1 and b1 and p8:
            lines += [
                "",
                f"GET one record, 1 worker, 32 connections: {g1.rps / b1.rps * 100:.0f} % of "
                f"the bare web stack (goal ≥ 80 % {_goal(g1.rps / b1.rps >= 0.8)}); p99 at 8 "
                f"connections {p8.p99_ms:.1f} ms (goal ≤ 20 ms {_goal(p8.p99_ms <= 20)}).",
            ]
        io = r["io"]
        rate = io["import_rows"] / io["import_s"]
        rss = r["rss"]
        scoring = r["scoring"]
        lines += [
            "",
            f"- Import of {io['import_rows']:,} leads from CSV with dedupe (a tenth are twins of "
            f"existing emails, skipped; {io['imported']:,} created): {io['import_s']:.1f} s, "
            f"{rate:,.0f} rows/s (goal ≥ "
            f"10,000 rows/s {_goal(rate >= 10_000)}; `nexa import leads`, start-up included).",
            f"- Export of {io['export_rows']:,} contacts to CSV: {io['export_s']:.1f} s, "
            f"{io['export_rows'] / io['export_s']:,.0f} rows/s (`nexa export contacts`).",
            f"- Batch rescoring of {n['n_leads']:,} leads (scorecard, first pass): "
            f"{scoring['seconds']:.1f} s, {n['n_leads'] / scoring['seconds']:,.0f} leads/s.",
            "- Server memory (RSS of uvicorn and its workers): "
            + "; ".join(
                f"{name} {w} worker{'s' if w > 1 else ''} {a / 1024:.0f} MiB at start, "
                f"{b / 1024:.0f} MiB after the runs"
                for (name, w), (a, b) in sorted(rss.items())
            )
            + ".",
            "",
        ]
    lines.append(marks(args.size)[1])
    return "\n".join(lines)


def write(out: Path, text: str, size: str) -> None:
    start, end = marks(size)
    current = out.read_text() if out.exists() else ""
    if start in current and end in current:
        head, rest = current.split(start, 1)
        tail = rest.split(end, 1)[1]
        out.write_text(head + text + tail)
    else:
        out.write_text(current.rstrip() + "\n\n" + text + "\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--size", default="small", choices=("small", "medium", "large", "xlarge"))
    ap.add_argument("--db", default="both", choices=("sqlite", "postgresql", "both"))
    ap.add_argument("--requests", type=int, default=1000, help="requests per load measurement")
    ap.add_argument("--time-limit", type=float, default=2.5, help="seconds per load measurement")
    ap.add_argument("--samples", type=int, default=40, help="sequential requests per read")
    ap.add_argument("--out", type=Path, default=ROOT / "BENCHMARKS.md")
    args = ap.parse_args()
    args.loadavg = os.getloadavg()
    started = time.monotonic()
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    if "postgresql" in kinds and not pg_answers():
        print(f"PostgreSQL does not answer at {PG_ADMIN}: measuring SQLite only", flush=True)
        kinds.remove("postgresql")
    var = Path(tempfile.mkdtemp(prefix="nexa-scale-"))
    runs = {}
    try:
        for kind in kinds:
            runs[kind] = bench_target(kind, args, var)
    finally:
        shutil.rmtree(var, ignore_errors=True)
    seconds = time.monotonic() - started
    write(args.out, section(args, runs, seconds), args.size)
    print(f"wrote the scale section of {args.out} in {seconds / 60:.1f} min", flush=True)


if __name__ == "__main__":
    main()
