"""/admin/queues: the job queues' depth and oldest pending age, and which job runs where."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from nexa.job import service as jobs
from nexa.web.admin.common import page
from nexa.web.pages import WebActor, WebSession

router = APIRouter(prefix="/admin")


@router.get("/queues", response_class=HTMLResponse)
def queues(request: Request, session: WebSession, actor: WebActor) -> HTMLResponse:
    from nexa.worker import HUEYS, JOB_QUEUES, threads_of

    stats = jobs.queue_stats(HUEYS, actor=actor)
    return page(
        request,
        "admin/queues.html",
        actor,
        session,
        "queues",
        stats=stats,
        threads={s.queue: threads_of(s.queue) for s in stats},  # type: ignore[arg-type]
        job_queues=sorted(JOB_QUEUES.items(), key=lambda item: (item[1], item[0])),
    )
