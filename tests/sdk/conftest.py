"""The SDK against a real server: one uvicorn on loopback per test module, with its own
committed SQLite database (seeded users with API keys), dropped afterwards. SQLite only, like
the other live runs (the server's PostgreSQL behaviour is covered by the server's tests)."""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import BACKEND, create_database, drop_database
from tests.live.conftest import LiveServer, seed, start_server

# the live modules need a server; on PostgreSQL runs the directory is not collected at all
collect_ignore_glob = ["test_*.py"] if BACKEND == "postgresql" else []


@pytest.fixture(scope="module")
def sdk_server(tmp_path_factory: pytest.TempPathFactory, test_env: Path) -> Iterator[LiveServer]:
    tmp = tmp_path_factory.mktemp("sdk")
    name = f"nexa_sdk_{uuid.uuid4().hex[:8]}"
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
def crm(sdk_server: LiveServer) -> Iterator[object]:
    """A synchronous client acting as the seeded admin."""
    from nexa_sdk import Client

    with Client(sdk_server.base_url, api_key=sdk_server.tokens["admin"], timeout=30) as client:
        yield client
