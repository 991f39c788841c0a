"""/api/v1/job-runs: background job runs as the admin sees them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query

from nexa.api.deps import ActorDep, SessionDep
from nexa.api.scopes import needs
from nexa.core.schemas import OutputModel, Problem
from nexa.job import service

router = APIRouter(
    prefix="/job-runs",
    tags=["jobs"],
    responses={
        401: {"model": Problem},
        403: {"model": Problem},
        422: {"model": Problem},
    },
)


class JobRunOut(OutputModel):
    id: uuid.UUID
    name: str
    status: str
    started_at: datetime
    finished_at: datetime | None = None
    duration_ms: float | None = None
    error: str | None = None
    args: Any = None
    result: Any = None


@router.get(
    "",
    response_model=list[JobRunOut],
    summary="Recent job runs, newest first (admins)",
    openapi_extra=needs("job:read"),
)
def list_runs(
    session: SessionDep,
    actor: ActorDep,
    name: Annotated[str | None, Query(max_length=120, description="Only runs of this job")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[JobRunOut]:
    return [
        JobRunOut.model_validate(r)
        for r in service.list_runs(session, actor, name=name, limit=limit)
    ]
