"""A first, small benchmark: Nexa's contact API against a bare FastAPI stack and raw sqlite3.

Run: ``.venv/bin/python bench/run.py [--requests 2000] [--out BENCHMARKS.md]``

Everything happens on 127.0.0.1 against a throw-away SQLite database in a temp folder.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import platform
import random
import resource
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
NEXA = str(BIN / "nexa")
UVICORN = str(BIN / "uvicorn")
CONCURRENCY = (8, 32)
WORKERS = (1, 2)
LIST_QUERY = "limit=50&sort=last_name&filter=lifecycle_stage:eq:lead"
GOAL_RATIO = 0.80
GOAL_P99_MS = 20.0


@dataclass
class Result:
    requests: int
    errors: int
    seconds: float
    p50_ms: float
    p99_ms: float
    cpu_s: float

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


# --- load generator ------------------------------------------------------------------------


Request = tuple[str, str, dict[str, Any] | None, dict[str, str]]  # method, path, json, headers


async def _load(
    base_url: str,
    make: Callable[[int], Request],
    headers: dict[str, str],
    n: int,
    conc: int,
    limit_s: float,
) -> tuple[list[float], int, float]:
    latencies: list[float] = []
    errors = issued = 0
    limits = httpx.Limits(max_connections=conc, max_keepalive_connections=conc)
    async with httpx.AsyncClient(base_url=base_url, headers=headers, limits=limits) as client:
        start = time.perf_counter()
        deadline = start + limit_s

        async def worker() -> None:
            nonlocal issued, errors
            while issued < n and time.perf_counter() < deadline:
                method, path, body, extra = make(issued)
                issued += 1
                t0 = time.perf_counter()
                try:
                    resp = await client.request(method, path, json=body, headers=extra)
                    ok = resp.status_code < 300
                except httpx.HTTPError:
                    ok = False
                latencies.append(time.perf_counter() - t0)
                errors += not ok

        await asyncio.gather(*(worker() for _ in range(conc)))
        elapsed = time.perf_counter() - start
    return latencies, errors, elapsed


def load(
    base_url: str,
    make: Callable[[int], Request],
    headers: dict[str, str],
    n: int,
    conc: int,
    limit_s: float,
    warm: bool = True,
) -> Result:
    if warm:
        asyncio.run(_load(base_url, make, headers, min(100, n), conc, limit_s))
    cpu0 = _cpu()
    lat, errors, elapsed = asyncio.run(_load(base_url, make, headers, n, conc, limit_s))
    cpu = _cpu() - cpu0
    lat.sort()

    def pct(q: float) -> float:
        return lat[min(len(lat) - 1, int(q * len(lat)))] * 1000 if lat else float("nan")

    return Result(len(lat), errors, elapsed, pct(0.50), pct(0.99), cpu)


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def measure(
    base: str, paths: list[str], headers: dict[str, str], n: int, conc: int, limit_s: float
) -> Result:
    """GETs of ``paths`` in turn (see ``load``)."""
    return load(base, lambda i: ("GET", paths[i % len(paths)], None, {}), headers, n, conc, limit_s)


# --- servers -------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tree_rss_kib(pid: int) -> int:
    """VmRSS summed over ``pid`` and all its descendants (the uvicorn supervisor + workers)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(entry.name))
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        todo.extend(children.get(p, []))
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total


class Server:
    def __init__(self, argv: list[str], env: dict[str, str], workers: int, log: Path) -> None:
        self.workers = workers
        self.log = log
        self._log_file = log.open("w")
        self.proc = subprocess.Popen(
            argv, env=env, stdout=self._log_file, stderr=subprocess.STDOUT, start_new_session=True
        )

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.log.read_text()[-2000:]}")
            if self.log.read_text().count("Application startup complete") >= self.workers:
                time.sleep(0.5)
                return
            time.sleep(0.1)
        raise RuntimeError(f"server not ready: {self.log.read_text()[-2000:]}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)  # only the group we started
                self.proc.wait()
        self._log_file.close()


# --- the run -------------------------------------------------------------------------------


def sh(argv: list[str], env: dict[str, str]) -> str:
    return subprocess.run(argv, env=env, check=True, capture_output=True, text=True).stdout


def bare_sqlite(db: Path, ids: list[str], n: int = 10_000) -> float:
    """µs per point lookup through sqlite3 (one connection, fetch of the whole row)."""
    conn = sqlite3.connect(db)
    sql = "SELECT * FROM contacts WHERE id = ?"
    for i in ids:
        conn.execute(sql, (i,)).fetchone()
    keys = [random.choice(ids) for _ in range(n)]
    t0 = time.perf_counter()
    for k in keys:
        conn.execute(sql, (k,)).fetchone()
    elapsed = time.perf_counter() - t0
    conn.close()
    return elapsed / n * 1e6


def machine() -> dict[str, str]:
    mem = next(
        line.split(":", 1)[1].strip()
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal")
    )
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown",
    )
    return {
        "nproc": str(len(os.sched_getaffinity(0))),
        "memory": f"{int(mem.split()[0]) / 1024 / 1024:.1f} GiB (MemTotal {mem})",
        "cpu": cpu,
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--requests", type=int, default=2000, help="requests per measurement")
    ap.add_argument("--time-limit", type=float, default=12.0, help="seconds per measurement")
    ap.add_argument("--out", default="BENCHMARKS.md")
    ap.add_argument("--skip-web", action="store_true", help="leave out bench/web_pages.py")
    ap.add_argument(
        "--size",
        choices=("small", "medium", "large", "xlarge"),
        help="then run bench/scale.py at this size (SQLite and PostgreSQL)",
    )
    args = ap.parse_args()
    started = time.monotonic()
    args.loadavg = os.getloadavg()

    var = Path(tempfile.mkdtemp(prefix="nexa-bench-"))
    db = var / "nexa.db"
    env = {
        **os.environ,
        "NEXA_VAR_DIR": str(var),
        "NEXA_DATABASE_URL": f"sqlite:///{db}",
        "NEXA_COOKIE_SECURE": "false",
    }
    try:
        print(f"setting up {var}", flush=True)
        sh([NEXA, "db", "upgrade"], env)
        sh([NEXA, "demo", "--accounts", "300", "--contacts", "600"], env)
        key = sh([NEXA, "keys", "create", "admin@demo.nexa", "-q"], env).strip().splitlines()[-1]
        with sqlite3.connect(db) as conn:
            hex_ids = [r[0] for r in conn.execute("SELECT id FROM contacts")]
        ids = [str(uuid.UUID(h)) for h in hex_ids]
        random.Random(42).shuffle(ids)
        auth = {"Authorization": f"Bearer {key}"}

        targets = {
            "nexa": (
                [f"/api/v1/contacts/{i}" for i in ids],
                [f"/api/v1/contacts?{LIST_QUERY}"],
                auth,
            ),
            "bare": ([f"/contacts/{i}" for i in ids], ["/contacts?limit=50"], {}),
        }
        results: dict[tuple[str, str, int, int], Result] = {}
        rss: dict[tuple[str, int], tuple[int, int]] = {}
        for workers in WORKERS:
            for name, (one_paths, list_paths, headers) in targets.items():
                port = free_port()
                if name == "nexa":
                    argv = [NEXA, "serve", "--port", str(port), "--workers", str(workers)]
                else:
                    argv = [UVICORN, "--app-dir", str(ROOT / "bench"), "bare_app:app"]
                    argv += ["--port", str(port), "--workers", str(workers)]
                server = Server(argv, env, workers, var / f"{name}-{workers}.log")
                try:
                    server.wait_ready()
                    rss_start = tree_rss_kib(server.proc.pid)
                    base = f"http://127.0.0.1:{port}"
                    for op, paths in (("get", one_paths), ("list", list_paths)):
                        for conc in CONCURRENCY:
                            r = measure(base, paths, headers, args.requests, conc, args.time_limit)
                            results[(name, op, workers, conc)] = r
                            print(
                                f"{name:4} {op:4} w={workers} c={conc:2}: {r.rps:7.1f} req/s "
                                f"p50 {r.p50_ms:6.1f} ms p99 {r.p99_ms:6.1f} ms "
                                f"n={r.requests} err={r.errors} lg-cpu {r.cpu_s:.1f}s",
                                flush=True,
                            )
                    rss[(name, workers)] = (rss_start, tree_rss_kib(server.proc.pid))
                finally:
                    server.stop()
        lookup_us = bare_sqlite(db, hex_ids)
        print(f"sqlite3 point lookup: {lookup_us:.1f} µs", flush=True)
    finally:
        shutil.rmtree(var, ignore_errors=True)

    total_s = time.monotonic() - started
    out = Path(args.out)
    # the API section is the head of the file; the marked sections other benchmarks write
    # (web pages, intelligence, scale) are kept as they are
    current = out.read_text() if out.exists() else ""
    kept = current[current.index("<!-- ") :] if "<!-- " in current else ""
    out.write_text(report(args, results, rss, lookup_us, total_s).rstrip() + "\n\n" + kept)
    print(f"wrote {out} in {total_s:.0f} s")
    if not args.skip_web:  # the web pages' server times, added to the same file
        subprocess.run(
            [sys.executable, str(ROOT / "bench" / "web_pages.py"), "--out", str(out)], check=True
        )
    if args.size:  # the organization at scale, against the bare database and web stack
        subprocess.run(
            [
                sys.executable,
                str(ROOT / "bench" / "scale.py"),
                "--size",
                args.size,
                "--out",
                str(out),
            ],
            check=True,
        )


# --- the report ----------------------------------------------------------------------------


def report(
    args: argparse.Namespace,
    results: dict[tuple[str, str, int, int], Result],
    rss: dict[tuple[str, int], tuple[int, int]],
    lookup_us: float,
    total_s: float,
) -> str:
    m = machine()
    load = args.loadavg
    cmd = f".venv/bin/python bench/run.py --requests {args.requests} --out {args.out}"
    if args.time_limit != 12.0:
        cmd += f" --time-limit {args.time_limit:g}"
    lines = [
        "# Benchmarks",
        "",
        "A first, small benchmark (it seeds the full benchmark issue). Generated by "
        "`bench/run.py`; do not edit by hand.",
        "",
        f"- Date: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC",
        f"- Machine: {m['nproc']} CPUs ({m['cpu']}), {m['memory']}; shared with other work, "
        "and the load generator runs on the same cores as the server "
        f"(load average at start {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f})",
        f"- Python {m['python']}, SQLite {m['sqlite']}",
        f"- Command: `{cmd}` (total run time {total_s:.0f} s)",
        "- Data: fresh SQLite file, `nexa demo --accounts 300 --contacts 600`; "
        "requests authenticated with an admin API key",
        f"- Load: Python asyncio + httpx.AsyncClient, keep-alive, {args.requests} requests per "
        f"cell (after 100 warm-up requests) or {args.time_limit:g} s, whichever comes first. "
        '"LG CPU" is the load generator\'s own CPU time (getrusage) for that cell: when it '
        "approaches the wall time, the client, not the server, is the limit",
        "- Bare web stack: `bench/bare_app.py` (FastAPI sync endpoint, SQLAlchemy Core select, "
        "Pydantic response model, no auth), served by uvicorn with the same worker count "
        "against the same database file",
        "",
        "## Goals (from the project's issue)",
        "",
        f"- API GET one record ≥ {GOAL_RATIO * 100:.0f} % of the bare web stack's req/s "
        "in the same run",
        f"- p99 at 8 connections ≤ {GOAL_P99_MS:g} ms",
        "",
    ]
    ops = (
        ("get", "GET /api/v1/contacts/{id} (bare: GET /contacts/{id})", True),
        ("list", f"GET /api/v1/contacts?{LIST_QUERY} (bare: GET /contacts?limit=50)", False),
    )
    missed: list[str] = []
    for op, title, has_goal in ops:
        lines += [
            f"## {title}",
            "",
            "| workers | conns | Nexa req/s | p50 ms | p99 ms | LG CPU s / wall s "
            "| bare req/s | p50 ms | p99 ms | LG CPU s / wall s | Nexa ÷ bare | goals |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
        ]
        for workers in WORKERS:
            for conc in CONCURRENCY:
                n = results[("nexa", op, workers, conc)]
                b = results[("bare", op, workers, conc)]
                ratio = n.rps / b.rps if b.rps else float("nan")
                verdict = "— (no goal for lists)"
                if has_goal:
                    checks = []
                    ok = ratio >= GOAL_RATIO
                    checks.append("ratio ✅" if ok else f"ratio ❌ ({ratio * 100:.0f} % < 80 %)")
                    if not ok:
                        missed.append(
                            f"- GET one, {workers} worker(s), {conc} conns: "
                            f"{ratio * 100:.0f} % of bare, "
                            f"{(GOAL_RATIO - ratio) * 100:.0f} points short of 80 %"
                        )
                    if conc == 8:
                        ok = n.p99_ms <= GOAL_P99_MS
                        checks.append(
                            "p99 ✅" if ok else f"p99 ❌ (+{n.p99_ms - GOAL_P99_MS:.1f} ms)"
                        )
                        if not ok:
                            missed.append(
                                f"- GET one, {workers} worker(s), 8 conns: p99 {n.p99_ms:.1f} ms, "
                                f"{n.p99_ms - GOAL_P99_MS:.1f} ms over 20 ms"
                            )
                    verdict = ", ".join(checks)
                errs = "" if not (n.errors or b.errors) else f" (errors {n.errors}/{b.errors})"
                lines.append(
                    f"| {workers} | {conc} | {n.rps:.0f} | {n.p50_ms:.1f} | {n.p99_ms:.1f} "
                    f"| {n.cpu_s:.1f} / {n.seconds:.1f} | {b.rps:.0f} | {b.p50_ms:.1f} "
                    f"| {b.p99_ms:.1f} | {b.cpu_s:.1f} / {b.seconds:.1f} | {ratio:.2f} "
                    f"| {verdict}{errs} |"
                )
        lines.append("")
    lines += [
        "## Bare database",
        "",
        f"`SELECT * FROM contacts WHERE id = ?` through Python's sqlite3, one connection: "
        f"**{lookup_us:.1f} µs per lookup** (mean of 10,000 random lookups over the 600 "
        "contacts, after one warm pass).",
        "",
        "## Server memory (VmRSS summed over the uvicorn process tree)",
        "",
        "| server | workers | after start | after the runs |",
        "|---|---:|---:|---:|",
    ]
    for workers in WORKERS:
        for name in ("nexa", "bare"):
            start, end = rss[(name, workers)]
            lines.append(f"| {name} | {workers} | {start / 1024:.0f} MiB | {end / 1024:.0f} MiB |")
    lines += ["", "## Goals missed", ""]
    lines += missed or ["None in this run."]
    if missed:
        lines += [
            "",
            "Where the time goes (py-spy on the running server, 2026-11-30): a GET with a"
            " recently used API key runs 2 SQL statements (BEGIN, the record; the actor is"
            " cached per process for 5 s) and costs ~1.1–1.3 ms of server CPU in-process"
            " against the bare endpoint's ~0.6 ms; over HTTP ~1.7–2.0 ms against ~1.2–1.45 ms."
            " What is left: the scoped ORM read (a new scoped SELECT built and cache-keyed per"
            " call, ~0.3 ms), the ORM commit/close (~10 %). The p99 goal needs a quiet machine:"
            " the bare stack itself is over 20 ms at p99 here, with the load generator on the"
            " same 2 cores; a load generator on other cores (wrk) would show the servers' own"
            " tails. To close the ratio: pre-built scoped statements per model, BEGIN on the"
            " raw driver.",
        ]
    lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
