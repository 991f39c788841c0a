from __future__ import annotations

from datetime import timedelta

from nexa.core.actor import SYSTEM
from nexa.core.db import utcnow
from tests.factories.meeting import make_meeting
from tests.permissions.subjects import Subject


def _create_body(_db: object, _cast: object) -> dict[str, str]:
    start = utcnow() + timedelta(days=1)
    return {
        "title": "A meeting",
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=1)).isoformat(),
    }


SUBJECTS = [
    Subject(
        "meeting",
        lambda db, owner_id: make_meeting(db, SYSTEM, owner_id=owner_id),
        update_body={"title": "matrix", "location": "Room 2"},
        create_body=_create_body,
        list_path="/api/v1/meetings",
        reassignable=False,
    )
]
