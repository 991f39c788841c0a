"""The clock campaigns, booking pages and scheduled sends read: the real time, plus an offset
that only tests set (``NEXA_TEST_CLOCK_FILE``: a file holding seconds to add, read on every
call, so a test moves time for the server and the worker processes at once)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from nexa.config import get_settings
from nexa.core.db.types import utcnow


def offset_seconds() -> float:
    path = get_settings().test_clock_file
    if path is None:
        return 0.0
    try:
        return float(Path(path).read_text().strip() or 0)
    except (OSError, ValueError):
        return 0.0


def now() -> datetime:
    """Now (UTC), moved by the test clock when tests enable it."""
    offset = offset_seconds()
    return utcnow() + timedelta(seconds=offset) if offset else utcnow()


def set_offset(path: Path, seconds: float) -> None:
    """Tests: move the clock to ``seconds`` after the real time."""
    tmp = path.with_suffix(".tmp")
    tmp.write_text(repr(float(seconds)))
    tmp.replace(path)
