"""Server time of the web UI's pages on the demo organization.

Run: ``.venv/bin/python bench/web_pages.py [--repeat 30] [--out BENCHMARKS.md]``

Builds a throw-away SQLite database with ``nexa demo`` (300 accounts, 600 contacts, 150 leads,
80 deals …), signs in as the demo admin and as a sales rep, and times every page type
in-process (the whole ASGI stack: session cookie, actor, services, SQL, templates — no
network, no browser), after one warm-up request per page. The goals (issue 18): every page
under 100 ms server time on the demo data, list and record pages under 50 ms at p95.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import platform
import re
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOAL_MS = 100.0  # issue 18: every page < 100 ms, list and record pages p95 < 50 ms
LIST_RECORD_GOAL_MS = 50.0
# a list page (/leads, /leads?f=…) or a record page (/leads/{id})
LIST_OR_RECORD = re.compile(r"^/[a-z-]+(\?.*)?$|^/[a-z-]+/\{id\}$")
MARK_START = "<!-- web-pages:start -->"
MARK_END = "<!-- web-pages:end -->"


def _demo(url: str) -> None:
    env = dict(os.environ, NEXA_DATABASE_URL=url)
    nexa = str(Path(sys.executable).parent / "nexa")
    subprocess.run([nexa, "db", "upgrade"], env=env, check=True, capture_output=True)
    subprocess.run([nexa, "demo"], env=env, check=True, capture_output=True)


def _pages(client: object, get: object) -> list[str]:
    first: dict[str, str] = {}
    for path in (
        "leads",
        "contacts",
        "accounts",
        "deals",
        "tasks",
        "meetings",
        "calls",
        "quotes",
        "orders",
        "products",
        "lists",
    ):
        html = get(f"/{path}").text  # type: ignore[operator,attr-defined]
        found = re.search(rf'href="/{path}/([0-9a-f-]{{36}})"', html)
        if found:
            first[path] = found.group(1)
    pages = [
        "/",
        "/leads",
        "/leads?f=status%3Aeq%3Anew&sort=-created_at",
        "/contacts",
        "/accounts",
        "/deals",
        "/deals/board",
        "/tasks",
        "/tasks/mine",
        "/tasks/board",
        "/meetings",
        "/calls",
        "/products",
        "/quotes",
        "/orders",
        "/lists",
        "/search?q=acme",
        "/search/suggest?q=acm",
        "/leads/new",
        "/deals/new",
        "/admin",
        "/admin/users",
        "/admin/pipelines",
        "/admin/roles",
        "/imports",
        "/notifications",
    ]
    for path, record_id in first.items():
        pages.append(f"/{path}/{record_id}")
    if "leads" in first:
        pages.append(f"/leads/{first['leads']}/convert")
    if "accounts" in first:
        pages.append(f"/accounts/{first['accounts']}/edit")
    return pages


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    started = time.perf_counter()
    tmp = Path(tempfile.mkdtemp(prefix="nexa-web-bench-"))
    url = f"sqlite:///{tmp / 'demo.db'}"
    _demo(url)
    os.environ["NEXA_DATABASE_URL"] = url
    os.environ["NEXA_VAR_DIR"] = str(tmp)
    os.environ["NEXA_COOKIE_SECURE"] = "false"
    from fastapi.testclient import TestClient

    from nexa.app import create_app

    app = create_app()
    results: dict[str, dict[str, tuple[int, float, float]]] = {}
    for email in ("admin@demo.nexa", "priya.shah@demo.nexa"):
        client = TestClient(app, raise_server_exceptions=False)
        page = client.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token
        r = client.post(
            "/login",
            data={"email": email, "password": "nexa-demo-2026", "csrf_token": token.group(1)},
            follow_redirects=False,
        )
        if r.status_code != 303:
            print(f"cannot sign in as {email}: {r.status_code}", file=sys.stderr)
            continue
        timings: dict[str, tuple[int, float, float]] = {}
        for path in _pages(client, client.get):
            status = client.get(path).status_code  # warm-up
            samples = []
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                client.get(path)
                samples.append((time.perf_counter() - t0) * 1000)
            samples.sort()
            p95 = samples[max(0, int(len(samples) * 0.95) - 1)]
            timings[path] = (status, statistics.median(samples), p95)
            print(
                f"{email:18} {status} {statistics.median(samples):7.1f} ms  p95 {p95:7.1f}  {path}"
            )
        results[email] = timings
    total = time.perf_counter() - started
    if args.out:
        _write(args.out, results, args.repeat, total)


Timings = dict[str, dict[str, tuple[int, float, float]]]


def _write(out: Path, results: Timings, repeat: int, total: float) -> None:
    cpus = os.cpu_count()
    mem = ""
    with contextlib.suppress(OSError, StopIteration):
        meminfo = Path("/proc/meminfo").read_text().splitlines()
        mem = next(line for line in meminfo if line.startswith("MemTotal"))
    machine = f"{cpus} CPUs, {mem.split(':')[-1].strip()}"
    lines = [
        MARK_START,
        "## Web pages: server time on the demo data",
        "",
        f"Generated by `bench/web_pages.py --repeat {repeat} --out BENCHMARKS.md` on "
        f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC ({total:.0f} s); {machine}, "
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}. In-process "
        "(full ASGI stack with session, services, SQL and templates; no network), "
        "median and p95 of "
        f"{repeat} requests after a warm-up. Goals (issue 18): every page < {GOAL_MS:.0f} ms, "
        f"list and record pages p95 < {LIST_RECORD_GOAL_MS:.0f} ms.",
        "",
    ]
    for email, timings in results.items():
        worst = max((v[2] for v in timings.values()), default=0.0)
        verdict = "✅" if worst < GOAL_MS else "❌"
        lines += [
            f"### Signed in as {email} — slowest p95 {worst:.0f} ms {verdict}",
            "",
            "| page | status | median ms | p95 ms |",
            "|---|---:|---:|---:|",
        ]
        for path, (status, median, p95) in timings.items():
            shown = re.sub(r"[0-9a-f]{8}-[0-9a-f-]{27}", "{id}", path)
            goal = LIST_RECORD_GOAL_MS if LIST_OR_RECORD.match(shown) else GOAL_MS
            flag = "" if p95 < goal else " ❌"
            lines.append(f"| `{shown}` | {status} | {median:.1f} | {p95:.1f}{flag} |")
        lines.append("")
    lines.append(MARK_END)
    block = "\n".join(lines)
    text = out.read_text() if out.exists() else "# Benchmarks\n"
    if MARK_START in text:
        before, rest = text.split(MARK_START, 1)
        after = rest.split(MARK_END, 1)[1] if MARK_END in rest else ""
        text = before + block + after
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    out.write_text(text)


if __name__ == "__main__":
    main()
