"""Work per API GET of two source trees, counted rather than timed: a refactoring's before
and after on a machine too busy for timings to settle small differences.

Run: ``.venv/bin/python bench/get_work.py --tree before=/path/to/old/checkout --tree after=.
[--requests 1000] [--out BENCHMARKS.md]``

Each tree gets its own throw-away SQLite database (``nexa db upgrade`` and ``nexa demo
--accounts 100 --contacts 200``, run with that tree's ``src`` first on ``PYTHONPATH``); then,
in a child process with the same path, the application is built and ``GET
/api/v1/contacts/{id}`` is called in-process through FastAPI's TestClient (no sockets) with an
admin API key: 200 warm-up requests, then ``--requests`` measured ones, during which

- Python and C function calls made by the server side (the event-loop thread and the thread
  pool; the client's own calls, on the main thread, are counted apart) are counted with a
  ``sys.setprofile`` hook on every thread — deterministic: the same code path makes the
  same calls, whatever else the machine does;
- SQL statements are counted with a SQLAlchemy ``before_cursor_execute`` listener;
- CPU time of the process is read (``time.process_time``) in a first, unprofiled pass — the
  one figure here that moves with the machine's load.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import NEXA, machine, sh

MARKS = ("<!-- get-work:start -->", "<!-- get-work:end -->")

CHILD = r"""
import json, sqlite3, sys, threading, time, uuid
from fastapi.testclient import TestClient
from sqlalchemy import event
from nexa.app import create_app
from nexa.core.db import get_engine

token, db, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
with sqlite3.connect(db) as conn:
    ids = [str(uuid.UUID(r[0])) for r in conn.execute("SELECT id FROM contacts")]
MAIN = threading.get_ident()
counts = {"server": 0, "client": 0}
counting = False

def hook(frame, event_name, arg):
    # Python and C function calls; the TestClient's own work is on the main thread, the
    # application's on the event-loop thread and the thread pool
    if counting and event_name in ("call", "c_call"):
        counts["client" if threading.get_ident() == MAIN else "server"] += 1

statements = 0

def count(*_args):
    global statements
    statements += 1

def run(k):
    for i in range(k):
        r = client.get(f"/api/v1/contacts/{ids[i % len(ids)]}", headers=headers)
        assert r.status_code == 200, r.text

client = TestClient(create_app())
headers = {"Authorization": f"Bearer {token}"}
run(200)
start = time.process_time()
run(n)
cpu = time.process_time() - start
threading.setprofile(hook)  # threads started from now on (the thread pool grows lazily)
sys.setprofile(hook)
with TestClient(create_app()) as client:  # a new portal thread, profiled
    run(200)
    event.listen(get_engine(), "before_cursor_execute", count)
    counting = True
    run(n)
    counting = False
    event.remove(get_engine(), "before_cursor_execute", count)
sys.setprofile(None)
print(json.dumps({"calls": counts["server"] / n, "client_calls": counts["client"] / n,
                  "statements": statements / n, "cpu_ms": cpu * 1000 / n}))
"""


def measure(label: str, path: Path, var: Path, n: int) -> dict[str, float]:
    var.mkdir(parents=True)
    db = var / "nexa.db"
    env = {
        **os.environ,
        "PYTHONPATH": f"{path / 'src'}{os.pathsep}{path / 'sdk' / 'src'}",
        "NEXA_VAR_DIR": str(var),
        "NEXA_DATABASE_URL": f"sqlite:///{db}",
        "NEXA_COOKIE_SECURE": "false",
        "NEXA_JOBS_IMMEDIATE": "false",
        "NEXA_LOG_LEVEL": "WARNING",
    }
    sh([NEXA, "db", "upgrade"], env)
    sh([NEXA, "demo", "--accounts", "100", "--contacts", "200"], env)
    token = sh([NEXA, "keys", "create", "admin@demo.nexa", "-q"], env).strip().splitlines()[-1]
    out = subprocess.run(
        [sys.executable, "-c", CHILD, token, str(db), str(n)],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    result: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    print(label, result, flush=True)
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--tree", action="append", required=True, help="LABEL=PATH (repeatable)")
    ap.add_argument("--describe", action="append", default=[], help="LABEL=TEXT for the report")
    ap.add_argument("--requests", type=int, default=1000)
    ap.add_argument("--out", type=Path, help="replace the marked section of this file")
    args = ap.parse_args()
    describe = dict(d.split("=", 1) for d in args.describe)
    load = os.getloadavg()
    results = []
    with tempfile.TemporaryDirectory(prefix="nexa-get-work-") as tmp:
        for spec in args.tree:
            label, path = spec.split("=", 1)
            results.append(
                (label, measure(label, Path(path).resolve(), Path(tmp) / label, args.requests))
            )
    info = machine()
    lines = [
        MARKS[0],
        "## Work per API GET, before and after (counted)",
        "",
        f"- Date: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC; machine: {info['nproc']} CPUs "
        f"({info['cpu']}), {info['memory']}; Python {info['python']}, SQLite {info['sqlite']}; "
        f"load average at start {' / '.join(f'{x:.2f}' for x in load)}",
        "- Command: `.venv/bin/python bench/get_work.py "
        + " ".join(f"--tree {label}=…" for label, _ in results)
        + f" --requests {args.requests}`",
        "- Trees: " + "; ".join(f"**{label}** {describe.get(label, '')}" for label, _ in results),
        "- `GET /api/v1/contacts/{id}` in-process (TestClient, no sockets), admin API key, "
        "200 warm-up requests first",
        "",
        "| tree | server calls per GET | client calls per GET | SQL statements per GET "
        "| CPU ms per GET (client and server) |",
        "|---|---:|---:|---:|---:|",
    ]
    for label, r in results:
        lines.append(
            f"| {label} | {r['calls']:.1f} | {r['client_calls']:.1f} | {r['statements']:.2f} "
            f"| {r['cpu_ms']:.2f} |"
        )
    lines.append(MARKS[1])
    text = "\n".join(lines)
    print(text)
    if args.out:
        current = args.out.read_text()
        if MARKS[0] in current:
            head, rest = current.split(MARKS[0], 1)
            current = head + text + rest.split(MARKS[1], 1)[1]
        else:
            current = current.rstrip("\n") + "\n\n" + text + "\n"
        args.out.write_text(current)


if __name__ == "__main__":
    main()
