"""How long the web sign-in takes to answer, per kind of outcome, on a real server.

Run: ``.venv/bin/python bench/signin_timing.py [--rounds 40]``

A throw-away SQLite database (``nexa db upgrade``; users made with ``nexa users create``) is
served by ``nexa serve --workers 1`` on 127.0.0.1 with ``NEXA_TRUSTED_PROXIES=127.0.0.1``, so
each request can name its own client address in ``X-Forwarded-For`` (the per-address rate
limit and back-off then apply per kind as in production, not to the benchmark as a whole).
Each round posts the sign-in form once per kind, in a shuffled order, so that the machine's
other work falls on every kind alike; the page and its CSRF token are fetched before each
timed POST. Reported: median, p10 and p90 of the POST's wall time per kind, in ms.

Kinds: the right password (303), an unknown email, a wrong password, a deactivated account, an
account with no password set (all four: the same 401 page), and an address that must wait
after repeated failures for that email (429). Every one of them runs one argon2 verification
(tests/auth/test_sign_in.py checks that by counting); this shows what it costs in time.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import NEXA, Server, free_port, machine, sh

PASSWORD = "correct horse battery staple"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
KINDS = (
    "signs in",
    "unknown email",
    "wrong password",
    "deactivated",
    "no password set",
    "address must wait",
)


def _env(var: Path) -> dict[str, str]:
    return {
        **os.environ,
        "NEXA_VAR_DIR": str(var),
        "NEXA_DATABASE_URL": f"sqlite:///{var / 'nexa.db'}",
        "NEXA_COOKIE_SECURE": "false",
        "NEXA_JOBS_IMMEDIATE": "true",
        "NEXA_TRUSTED_PROXIES": "127.0.0.1",
        "NEXA_LOGIN_RATE_PER_MINUTE": "1000000",
        "NEXA_LOGIN_BACKOFF_SECONDS": "3600",  # the waiting address keeps waiting
        "NEXA_LOG_LEVEL": "INFO",
    }


def _seed(env: dict[str, str], var: Path) -> None:
    sh([NEXA, "db", "upgrade"], env)
    for email, password in (
        ("active@bench.example", PASSWORD),
        ("waiting@bench.example", PASSWORD),
        ("gone@bench.example", PASSWORD),
        ("nopass@bench.example", ""),
    ):
        sh([NEXA, "users", "create", email, "--name", "Bench User", "--password", password], env)
    with sqlite3.connect(var / "nexa.db") as conn:
        conn.execute("UPDATE users SET is_active = 0 WHERE email = 'gone@bench.example'")


def _attempt(base: str, kind: str, n: int) -> tuple[int, float]:
    email, password, address = {
        "signs in": ("active@bench.example", PASSWORD, f"10.1.{n // 250}.{n % 250}"),
        "unknown email": ("nobody@bench.example", PASSWORD, f"10.2.{n // 250}.{n % 250}"),
        "wrong password": ("active@bench.example", "not it at all", f"10.3.{n // 250}.{n % 250}"),
        "deactivated": ("gone@bench.example", PASSWORD, f"10.4.{n // 250}.{n % 250}"),
        "no password set": ("nopass@bench.example", PASSWORD, f"10.5.{n // 250}.{n % 250}"),
        "address must wait": ("waiting@bench.example", PASSWORD, "10.6.0.1"),
    }[kind]
    headers = {"X-Forwarded-For": address}
    with httpx.Client(base_url=base, headers=headers, timeout=30) as c:
        match = CSRF.search(c.get("/login").text)
        assert match, "no CSRF token on /login"
        form = {"email": email, "password": password, "csrf_token": match.group(1)}
        started = time.perf_counter()
        r = c.post("/login", data=form, follow_redirects=False)
        return r.status_code, (time.perf_counter() - started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=40)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="nexa-signin-") as tmp:
        var = Path(tmp)
        env = _env(var)
        _seed(env, var)
        port = free_port()
        server = Server(
            [NEXA, "serve", "--port", str(port), "--workers", "1"], env, 1, var / "serve.log"
        )
        try:
            server.wait_ready(120)
            base = f"http://127.0.0.1:{port}"
            for n in range(6):  # make 10.6.0.1 wait for waiting@; warm up every path
                _attempt(base, "wrong password", 10_000 + n)
                with httpx.Client(base_url=base, headers={"X-Forwarded-For": "10.6.0.1"}) as c:
                    token = CSRF.search(c.get("/login").text)
                    assert token
                    c.post(
                        "/login",
                        data={"email": "waiting@bench.example", "password": "wrong guess",
                              "csrf_token": token.group(1)},
                    )  # fmt: skip
            times: dict[str, list[float]] = {k: [] for k in KINDS}
            statuses: dict[str, set[int]] = {k: set() for k in KINDS}
            rng = random.Random(15)
            for n in range(args.rounds):
                order = list(KINDS)
                rng.shuffle(order)
                for kind in order:
                    status, ms = _attempt(base, kind, n)
                    times[kind].append(ms)
                    statuses[kind].add(status)
        finally:
            server.stop()
    info = machine()
    load = Path("/proc/loadavg").read_text().split()[:3]
    print(
        f"Sign-in POST /login, {args.rounds} rounds, nexa serve --workers 1, SQLite; "
        f"{info['nproc']} cores ({info['cpu']}), load {' '.join(load)}"
    )
    print("| outcome | status | median ms | p10 ms | p90 ms |")
    print("| --- | --- | --- | --- | --- |")
    for kind in KINDS:
        values = sorted(times[kind])
        deciles = statistics.quantiles(values, n=10)
        status = "/".join(str(s) for s in sorted(statuses[kind]))
        print(
            f"| {kind} | {status} | {statistics.median(values):.0f} | "
            f"{deciles[0]:.0f} | {deciles[-1]:.0f} |"
        )


if __name__ == "__main__":
    main()
