"""The background job that runs a (large) import, committing after every batch."""

from __future__ import annotations

import uuid
from typing import Any

from nexa.imports import service
from nexa.worker import job


@job(service.JOB_NAME, queue="bulk", retries=0)
def run_import(session: Any, import_id: str) -> dict[str, Any]:
    return service.run_import_job(session, uuid.UUID(import_id))
