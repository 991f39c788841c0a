"""A live server that fails to start says why: the end of its own log is in the error."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.live.conftest import start_server


def test_a_failed_start_shows_the_servers_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEXA_SESSION_MAX_AGE_HOURS", "0")  # refused by the settings
    with pytest.raises(RuntimeError) as failed:
        start_server(f"sqlite:///{tmp_path / 'nexa.db'}", tmp_path)
    message = str(failed.value)
    assert "exited during start-up" in message and "server.log" in message
    assert "session_max_age_hours" in message  # the server's own words, from its log
