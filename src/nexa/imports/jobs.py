"""The background jobs of imports: running a (large) import, committing after every batch;
and the hourly sweep of the stored files (retention, orphans)."""

from __future__ import annotations

import uuid
from typing import Any

from huey import crontab

from nexa.imports import service
from nexa.worker import job, periodic


@job(service.JOB_NAME, queue="bulk", retries=0)
def run_import(session: Any, import_id: str) -> dict[str, Any]:
    return service.run_import_job(session, uuid.UUID(import_id))


@job(service.SWEEP_JOB, queue="bulk", retries=0)
def sweep_import_files(session: Any) -> dict[str, int]:
    return service.sweep_files(session)


@periodic("bulk", crontab(minute="23", hour="*"), name="import.sweep_files.hourly")
def sweep_import_files_hourly() -> None:
    """Hourly: finished imports' files past the retention, orphan files, stale uploads."""
    sweep_import_files()
