"""/api/v1/tasks: the standard record routes plus /tasks/mine.

No ``from __future__ import annotations``: FastAPI reads the parameter annotations.
"""

from typing import Annotated, Any

from fastapi import APIRouter, Query

from nexa.api.deps import ActorDep, ListQueryDep, SessionDep
from nexa.api.records import PROBLEMS, page_of, record_router
from nexa.api.scopes import needs
from nexa.core.schemas import Page
from nexa.task.schemas import TaskCreate, TaskOut, TaskUpdate, TaskView
from nexa.task.service import TaskService
from nexa.task.shape import TASKS

router = APIRouter(tags=["tasks"], responses=PROBLEMS)


@router.get(
    "/tasks/mine",
    response_model=Page[dict[str, Any]],
    summary="My open tasks",
    openapi_extra=needs("task:read"),
)
def my_tasks(
    session: SessionDep,
    actor: ActorDep,
    query: ListQueryDep,
    view: Annotated[TaskView, Query(description="today, overdue or upcoming")] = "today",
) -> dict[str, Any]:
    rows, next_cursor = TaskService(session, actor).mine(view, query)
    return page_of(rows, next_cursor, query, lambda r: TASKS.one(session, r))


router.include_router(
    record_router(
        prefix="/tasks",
        noun="a task",
        plural="tasks",
        service=TaskService,
        create_model=TaskCreate,
        update_model=TaskUpdate,
        out_model=TaskOut,
        shaper=TASKS,
    )
)
