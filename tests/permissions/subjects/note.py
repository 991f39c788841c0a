from __future__ import annotations

from tests.factories.note import make_note
from tests.permissions.subjects import Subject

SUBJECTS = [
    Subject(
        "note",
        lambda db, owner_id: make_note(db, owner_id=owner_id),
        update_body={"body": "matrix"},
        create_body=lambda _db, _cast: {"body": "A note"},
        list_path="/api/v1/notes",
        reassignable=False,
    )
]
