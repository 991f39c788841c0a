"""The hourly sweep of recording files (nexa.call.service.sweep_recordings): recordings past
NEXA_RECORDING_RETENTION_DAYS (off by default) and files no call points at."""

from __future__ import annotations

import io
import os
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from nexa.call import service
from nexa.call.service import CallService
from nexa.config import get_settings
from nexa.core.actor import SYSTEM
from nexa.core.db import utcnow
from tests.factories.call import make_call

MP3 = b"ID3\x04\x00" + bytes(range(256)) * 4


def recorded(db: Any, *, days_ago: int) -> Any:
    call = make_call(db, started_at=utcnow() - timedelta(days=days_ago))
    CallService(db, SYSTEM).upload_recording(call.id, io.BytesIO(MP3), "audio/mpeg")
    db.commit()
    return call


def age(path: Path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


def test_recordings_are_kept_unless_a_retention_is_set(
    private_var: Path, db: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = recorded(db, days_ago=400)
    fresh = recorded(db, days_ago=2)
    assert service.sweep_recordings(db)["expired"] == 0

    monkeypatch.setattr(get_settings(), "recording_retention_days", 30)
    counts = service.sweep_recordings(db)
    db.commit()  # the files go once the change is committed

    assert counts["expired"] == 1
    assert old.recording_path is None and old.recording_sha256 is None
    assert not (private_var / "recordings" / f"{old.id}.mp3").exists()
    assert fresh.recording_path is not None
    assert (private_var / fresh.recording_path).exists()


def test_files_no_call_points_at_are_swept_after_an_hour(private_var: Path, db: Any) -> None:
    kept = recorded(db, days_ago=1)
    folder = private_var / "recordings"
    age(private_var / kept.recording_path, 7200)
    orphan = folder / f"{uuid.uuid4()}.mp3"  # stored, then its request failed
    half = folder / f".{uuid.uuid4()}.{uuid.uuid4().hex}.part"  # killed mid-upload
    young = folder / f"{uuid.uuid4()}.wav"  # its request may still be running
    for path in (orphan, half, young):
        path.write_bytes(MP3)
    age(orphan, 7200)
    age(half, 7200)

    counts = service.sweep_recordings(db)

    assert counts == {"expired": 0, "orphans": 2}
    assert not orphan.exists() and not half.exists()
    assert young.exists() and (private_var / kept.recording_path).exists()


def test_the_sweep_is_an_hourly_job_on_the_bulk_queue() -> None:
    import nexa.call.jobs  # noqa: F401
    from nexa.worker import HUEYS, JOB_QUEUES

    assert JOB_QUEUES[service.SWEEP_JOB] == "bulk"
    assert "call.sweep_recordings.hourly" in {
        t.name for t in HUEYS["bulk"]._registry.periodic_tasks
    }
