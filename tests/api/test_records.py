"""record_router's options: which generic routes exist, fixed paths before ``/{id}``, route
names and the id parameter's name (what keeps an object's OpenAPI operations stable)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.routing import APIRoute

from nexa.api.records import record_router
from nexa.task.schemas import TaskCreate, TaskOut, TaskUpdate
from nexa.task.service import TaskService
from nexa.task.shape import TASKS


def _router(**options: Any) -> Any:
    return record_router(
        prefix="/things",
        noun="a thing",
        plural="things",
        service=TaskService,
        create_model=TaskCreate,
        update_model=TaskUpdate,
        out_model=TaskOut,
        shaper=TASKS,
        **options,
    )


def _routes(router: Any) -> list[tuple[str, str, str]]:
    return [
        (sorted(r.methods)[0], r.path, r.name) for r in router.routes if isinstance(r, APIRoute)
    ]


def test_every_operation_by_default() -> None:
    assert _routes(_router()) == [
        ("GET", "/things", "list_records"),
        ("POST", "/things", "create_record"),
        ("GET", "/things/{record_id}", "get_record"),
        ("PATCH", "/things/{record_id}", "update_record"),
        ("DELETE", "/things/{record_id}", "delete_record"),
        ("POST", "/things/{record_id}/restore", "restore_record"),
    ]


def test_only_the_operations_asked_for() -> None:
    assert _routes(_router(operations=("list", "get", "restore"))) == [
        ("GET", "/things", "list_records"),
        ("GET", "/things/{record_id}", "get_record"),
        ("POST", "/things/{record_id}/restore", "restore_record"),
    ]
    with pytest.raises(ValueError, match="unknown record operations"):
        _router(operations=("list", "archive"))


def test_fixed_routes_come_before_the_id_routes() -> None:
    def fixed(router: Any) -> None:
        @router.get("/summary")
        def summary() -> dict[str, str]:
            return {}

    paths = [path for _, path, _ in _routes(_router(fixed_routes=fixed))]
    assert paths.index("/things/summary") < paths.index("/things/{record_id}")


def test_names_and_id_parameter() -> None:
    router = _router(id_param="thing_id", names={"get": "get_thing", "list": "list_things"})
    assert ("GET", "/things/{thing_id}", "get_thing") in _routes(router)
    assert ("GET", "/things", "list_things") in _routes(router)
    assert ("DELETE", "/things/{record_id}", "delete_record") in _routes(router)
