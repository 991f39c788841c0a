"""The calls' background job: the hourly sweep of recording files (retention, orphans)."""

from __future__ import annotations

from typing import Any

from huey import crontab

from nexa.call import service
from nexa.worker import job, periodic


@job(service.SWEEP_JOB, queue="bulk", retries=0)
def sweep_recordings(session: Any) -> dict[str, int]:
    return service.sweep_recordings(session)


@periodic("bulk", crontab(minute="41", hour="*"), name="call.sweep_recordings.hourly")
def sweep_recordings_hourly() -> None:
    """Hourly: recordings past NEXA_RECORDING_RETENTION_DAYS, files no call points at."""
    sweep_recordings()
