"""A real server process on loopback with its own committed database, dropped afterwards."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import create_database, drop_database

pytestmark = pytest.mark.live


@dataclass
class LiveServer:
    base_url: str
    database_url: str
    tokens: dict[str, str]
    ids: dict[str, str]

    def headers(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def seed(url: str) -> tuple[dict[str, str], dict[str, str]]:
    from nexa.core.actor import SYSTEM
    from nexa.core.db import make_engine, session_scope
    from nexa.models import Team
    from nexa.user.schemas import UserCreate
    from nexa.user.service import create_api_key, create_user

    engine = make_engine(url)
    tokens, ids = {}, {}
    try:
        with session_scope(engine=engine) as session:
            team = Team(id=uuid.uuid4(), name="Live team")
            session.add(team)
            session.flush()
            for role in ("admin", "manager", "sales_rep", "support_agent", "marketer", "read_only"):
                user = create_user(
                    session,
                    SYSTEM,
                    UserCreate(
                        email=f"{role}@live.example.com",
                        full_name=f"Live {role}",
                        role=role,
                        team_id=team.id,  # type: ignore[arg-type]
                        password="live-password-123",
                    ),
                )
                _, tokens[role] = create_api_key(
                    session, SYSTEM, user_id=user.id, name="live", scopes=["*"]
                )
                ids[role] = str(user.id)
    finally:
        engine.dispose()
    return tokens, ids


def issue_key(url: str, user_id: str, scopes: tuple[str, ...] = ("*",)) -> tuple[str, str]:
    """(id, token) of a new key for ``user_id``, written to the server's database as the CLI
    does (no API key can issue one)."""
    from nexa.core.actor import SYSTEM
    from nexa.core.db import make_engine, session_scope
    from nexa.user.service import create_api_key

    engine = make_engine(url)
    try:
        with session_scope(engine=engine) as session:
            key, token = create_api_key(
                session, SYSTEM, user_id=uuid.UUID(user_id), name="live", scopes=list(scopes)
            )
            return str(key.id), token
    finally:
        engine.dispose()


def start_server(
    url: str,
    var_dir: Path,
    *,
    workers: int = 1,
    timeout: float = 180.0,
    port: int | None = None,
    env: dict[str, str] | None = None,
) -> tuple[subprocess.Popen[bytes], str]:
    """uvicorn on loopback; waits up to ``timeout`` seconds for /health (building the app
    takes ~8 s on a quiet machine and over 30 s with two test workers and other work on the
    same 2 cores: the wait is generous, it only bounds a server that never comes up). The
    server's output goes to ``server.log`` in ``var_dir``; a failed start shows its end."""
    port = port or free_port()
    log_path = var_dir / "server.log"
    log = log_path.open("ab")
    env = {
        **os.environ,
        "NEXA_DATABASE_URL": url,
        "NEXA_VAR_DIR": str(var_dir),
        "NEXA_JOBS_IMMEDIATE": "true",
        "NEXA_COOKIE_SECURE": "false",
        "NEXA_LOG_LEVEL": "WARNING",
        **(env or {}),
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "nexa.app:create_app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--log-level",
            "warning",
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    log.close()  # the child has its own copy
    base = f"http://127.0.0.1:{port}"
    started = time.monotonic()
    deadline = started + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(
                f"the server exited during start-up (code {proc.returncode}); "
                f"the end of {log_path}:\n{_tail(log_path)}"
            )
        try:
            if httpx.get(base + "/health", timeout=2).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    proc.kill()
    proc.wait(timeout=10)
    raise RuntimeError(
        f"the server did not answer /health within {timeout:.0f} s (load average "
        f"{' / '.join(f'{x:.1f}' for x in os.getloadavg())}); the end of {log_path}:\n"
        f"{_tail(log_path)}"
    )


def _tail(path: Path, lines: int = 40) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError as exc:
        return f"(no log: {exc})"
    return "\n".join(text.splitlines()[-lines:]) or "(the log is empty)"


@contextmanager
def running_server(tmp: Path, prefix: str) -> Iterator[LiveServer]:
    """A seeded database of its own and a uvicorn serving it; both gone afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    url = create_database(name, tmp)
    tokens, ids = seed(url)
    proc, base = start_server(url, tmp)
    try:
        yield LiveServer(base, url, tokens, ids)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        drop_database(name, url)


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory, test_env: Path) -> Iterator[LiveServer]:
    with running_server(tmp_path_factory.mktemp("live"), "nexa_live") as server:
        yield server


def count_rows(url: str, table: str, where: str = "1=1", **params: Any) -> int:
    from sqlalchemy import text

    from nexa.core.db import make_engine

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            sql = text(f"SELECT count(*) FROM {table} WHERE {where}")  # noqa: S608 (test literals)
            return int(conn.execute(sql, params).scalar() or 0)
    finally:
        engine.dispose()
