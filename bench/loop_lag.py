"""Event-loop lag of the web server while lead creates are posted through the web form.

Run: ``.venv/bin/python bench/loop_lag.py [--creates 200] [--time-limit 60]``

Builds a throw-away SQLite database with ``nexa demo``, then starts the real app
(``nexa.app:create_app``, as ``nexa serve`` does) under uvicorn in a child process, on
127.0.0.1 only. On the server's own event loop a probe coroutine sleeps 5 ms again and again
and records how late each wake-up is. This process signs in as the demo admin and posts
``--creates`` leads through ``POST /leads/new`` (the web form, CSRF token included), one after
the other, bounded by ``--time-limit`` seconds. The lag of the wake-ups that fell inside the
posting window is reported: p50/p90/p99/max and the number of wake-ups more than 20 ms late;
the same for the 3 s before it, the server idle (the machine's own scheduling noise).

A handler that runs a service on the loop thread (``async def`` calling the sync session)
blocks every wake-up for the length of the save; a plain ``def`` handler runs in the thread
pool and leaves the loop free (the lag left is the GIL's switch interval and the pool hand-off).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

PERIOD_S = 0.005
LATE_MS = 20.0
IDLE_S = 3.0
BIN = Path(sys.executable).parent


# --- the server side (child process) ---------------------------------------------------------


async def _probe(samples: list[tuple[float, float]]) -> None:
    loop = asyncio.get_running_loop()
    while True:
        due = loop.time() + PERIOD_S
        await asyncio.sleep(PERIOD_S)
        woke = loop.time()
        samples.append((woke, woke - due))


def serve(port: int, out: Path) -> None:
    """uvicorn on this process's loop, with the probe beside it; the samples are written to
    ``out`` (monotonic clock, shared by every process of the machine) on SIGINT."""
    import uvicorn

    config = uvicorn.Config(
        "nexa.app:create_app",
        factory=True,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
        proxy_headers=False,  # as `nexa serve`: the app reads forwarded headers itself
    )
    server = uvicorn.Server(config)
    samples: list[tuple[float, float]] = []

    async def main() -> None:
        probe = asyncio.create_task(_probe(samples))
        try:
            await server.serve()
        finally:
            probe.cancel()

    try:
        asyncio.run(main())
    except KeyboardInterrupt:  # uvicorn raises the SIGINT again once it has shut down
        pass
    finally:
        out.write_text(json.dumps(samples))


# --- the client side ------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pct(values: list[float], q: float) -> float:
    return values[min(len(values) - 1, int(q * len(values)))] if values else float("nan")


def _post_leads(base: str, creates: int, limit_s: float) -> tuple[float, float, float, int, int]:
    import httpx

    with httpx.Client(base_url=base, timeout=30.0) as client:
        page = client.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token, "no CSRF token on /login"
        r = client.post(
            "/login",
            data={
                "email": "admin@demo.nexa",
                "password": "nexa-demo-2026",
                "csrf_token": token.group(1),
            },
            follow_redirects=False,
        )
        assert r.status_code == 303, f"sign-in failed: {r.status_code}"
        form = client.get("/leads/new")
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        assert token, "no CSRF token on /leads/new"
        csrf = token.group(1)
        for _ in range(3):  # warm-up (templates, caches), outside the window
            client.post(
                "/leads/new",
                data={
                    "last_name": f"Warm {uuid.uuid4().hex[:10]}",
                    "company": f"{uuid.uuid4().hex[:10]} Ltd",
                    "csrf_token": csrf,
                },
            )
        idle_start = time.monotonic()  # the server doing nothing: the machine's own noise
        time.sleep(IDLE_S)
        ok = failed = 0
        start = time.monotonic()
        deadline = start + limit_s
        for _ in range(creates):
            if time.monotonic() > deadline:
                break
            # distinct names and companies: the duplicate check must not refuse the lead
            tag = uuid.uuid4().hex[:10]
            r = client.post(
                "/leads/new",
                data={
                    "first_name": "Loop",
                    "last_name": f"Probe {tag}",
                    "email": f"loop.{tag}@example.org",
                    "company": f"{tag} Lag Bench GmbH",
                    "source": "website",
                    "csrf_token": csrf,
                },
                follow_redirects=False,
            )
            if r.status_code == 303:
                ok += 1
            else:
                failed += 1
                if failed == 1:
                    print(f"a create failed: {r.status_code} {r.text[:300]!r}", file=sys.stderr)
        end = time.monotonic()
    return idle_start, start, end, ok, failed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--creates", type=int, default=200, help="lead creates to post")
    ap.add_argument("--time-limit", type=float, default=60.0, help="seconds of posting at most")
    ap.add_argument("--serve", type=int, help=argparse.SUPPRESS)  # the child process
    ap.add_argument("--samples", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve:
        serve(args.serve, args.samples)
        return

    var = Path(tempfile.mkdtemp(prefix="nexa-lag-bench-"))
    env = {
        **os.environ,
        "NEXA_VAR_DIR": str(var),
        "NEXA_DATABASE_URL": f"sqlite:///{var / 'nexa.db'}",
        "NEXA_COOKIE_SECURE": "false",
    }
    try:
        print(f"setting up {var} (nexa demo)", flush=True)
        for argv in (["db", "upgrade"], ["demo"]):
            subprocess.run([str(BIN / "nexa"), *argv], env=env, check=True, capture_output=True)
        port = _free_port()
        samples_file = var / "samples.json"
        log = (var / "server.log").open("w")
        proc = subprocess.Popen(
            [sys.executable, __file__, "--serve", str(port), "--samples", str(samples_file)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            import httpx

            deadline = time.monotonic() + 60
            while True:
                if proc.poll() is not None:
                    raise RuntimeError((var / "server.log").read_text()[-2000:])
                try:
                    httpx.get(f"{base}/login", timeout=2.0)
                    break
                except httpx.HTTPError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.2)
            idle_start, start, end, ok, failed = _post_leads(base, args.creates, args.time_limit)
        finally:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)  # only the group this script started
                proc.wait()
            log.close()
        samples = json.loads(samples_file.read_text())
    finally:
        shutil.rmtree(var, ignore_errors=True)

    seconds = end - start
    print(
        f"{ok} lead creates posted ({failed} failed) in {seconds:.1f} s "
        f"({ok / seconds if seconds else 0:.1f}/s, {seconds / max(ok, 1) * 1000:.1f} ms each); "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    )
    for label, low, high in (("idle", idle_start, start), ("posting", start, end)):
        lags = sorted(lag * 1000 for woke, lag in samples if low <= woke <= high)
        print(
            f"event-loop lag, {label} ({high - low:.1f} s, {len(lags)} wake-ups every "
            f"{PERIOD_S * 1000:.0f} ms): p50 {_pct(lags, 0.50):.2f} ms, "
            f"p90 {_pct(lags, 0.90):.2f} ms, p99 {_pct(lags, 0.99):.2f} ms, "
            f"max {max(lags, default=float('nan')):.2f} ms; "
            f"{sum(1 for v in lags if v > LATE_MS)} wake-ups > {LATE_MS:.0f} ms late"
        )


if __name__ == "__main__":
    main()
