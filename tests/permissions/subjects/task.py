from __future__ import annotations

from nexa.core.actor import SYSTEM
from tests.factories.task import make_task
from tests.permissions.subjects import Subject

SUBJECTS = [
    Subject(
        "task",
        lambda db, owner_id: make_task(db, SYSTEM, owner_id=owner_id),
        update_body={"title": "matrix", "status": "in_progress"},
        create_body=lambda _db, _cast: {"title": "A task", "priority": "high"},
        list_path="/api/v1/tasks",
        reassignable=False,
    )
]
