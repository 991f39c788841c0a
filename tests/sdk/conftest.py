"""The SDK against a real server: one uvicorn on loopback per test module, with its own
committed SQLite database (seeded users with API keys), dropped afterwards. SQLite only, like
the other live runs (the server's PostgreSQL behaviour is covered by the server's tests)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import BACKEND
from tests.live.conftest import LiveServer, running_server

# the live modules need a server; on PostgreSQL runs the directory is not collected at all
collect_ignore_glob = ["test_*.py"] if BACKEND == "postgresql" else []


@pytest.fixture(scope="module")
def sdk_server(tmp_path_factory: pytest.TempPathFactory, test_env: Path) -> Iterator[LiveServer]:
    with running_server(tmp_path_factory.mktemp("sdk"), "nexa_sdk") as server:
        yield server


@pytest.fixture(scope="module")
def crm(sdk_server: LiveServer) -> Iterator[object]:
    """A synchronous client acting as the seeded admin."""
    from nexa_sdk import Client

    with Client(sdk_server.base_url, api_key=sdk_server.tokens["admin"], timeout=30) as client:
        yield client
