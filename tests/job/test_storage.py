"""Huey job storage: SQLite by default, Redis when NEXA_REDIS_URL is set — both real."""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Any

import pytest

from nexa.config import get_settings

IN_CI = os.environ.get("CI", "").lower() == "true"


def _redis_answers() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


def _roundtrip(huey: Any) -> Any:
    @huey.task(name=f"test.double.{id(huey)}")
    def double(x: int) -> int:
        return x * 2

    result = double(21)
    task = huey.dequeue()
    assert task is not None, "the task was not stored"
    huey.execute(task)
    return result.get()


def test_sqlite_job_storage_by_default(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from huey import SqliteHuey

    from nexa.worker import make_huey

    monkeypatch.setenv("NEXA_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("NEXA_REDIS_URL", "")
    monkeypatch.setenv("NEXA_JOBS_IMMEDIATE", "false")
    get_settings.cache_clear()
    try:
        huey = make_huey()
        assert isinstance(huey, SqliteHuey)
        assert _roundtrip(huey) == 42
        assert (tmp_path / "jobs.db").exists()
    finally:
        get_settings.cache_clear()


def test_redis_job_storage_when_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    if not _redis_answers():
        if IN_CI:
            pytest.fail("Redis is not answering on 127.0.0.1:6379 (CI=true)")
        pytest.skip("Redis is not answering on 127.0.0.1:6379")
    from huey import RedisHuey

    from nexa.worker import make_huey

    monkeypatch.setenv("NEXA_REDIS_URL", "redis://127.0.0.1:6379/15")
    monkeypatch.setenv("NEXA_JOBS_IMMEDIATE", "false")
    get_settings.cache_clear()
    try:
        huey = make_huey()
        assert isinstance(huey, RedisHuey)
        huey.flush()
        assert _roundtrip(huey) == 42
        huey.flush()
    finally:
        get_settings.cache_clear()


def test_job_wrapper_records_runs(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A job opens its own session, commits once, and leaves a job_runs row."""
    from sqlalchemy import select

    from nexa.core.db import session_scope
    from nexa.job.jobs import deliver_outbox
    from nexa.models import JobRun
    from nexa.worker import HUEYS

    monkeypatch.setattr(HUEYS["deliveries"], "immediate", True)
    deliver_outbox()  # immediate mode in tests: runs now, in its own transactions
    with session_scope(write=False) as session:
        runs = session.scalars(select(JobRun).where(JobRun.name == "outbox.deliver")).all()
    assert runs and runs[-1].status == "succeeded" and runs[-1].duration_ms is not None
