"""Lists (object "list") and global search (object "search", no records of its own)."""

from __future__ import annotations

import uuid
from typing import Any

from tests.factories.contact import make_contact
from tests.factories.segment import make_list
from tests.permissions.subjects import Request, Subject


def _member_request(route: Any, db: Any, record: Any, cast: Any) -> Request | None:
    """Membership changes name a contact owned by the same person as the list: a sales rep
    ("own") adds or removes only records they own."""
    if "/members" not in route.path or route.method == "GET":
        return None
    owner = cast.actor if record.owner_id == cast.actor.id else None
    if owner is None:
        owner = cast.teammate if record.owner_id == cast.teammate.id else cast.outsider
    contact = make_contact(db, owner_id=owner.id)
    path = route.path.replace("{}", str(record.id), 1)
    if path.endswith("{}"):
        return path.replace("{}", str(contact.id)), None, None
    return path, {"record_ids": [str(contact.id)]}, None


def _other_request(route: Any, db: Any, cast: Any) -> Request | None:
    if route.path == "/api/v1/lists/memberships":
        contact = make_contact(db, owner_id=cast.actor.id)
        return route.path, None, {"record_type": "contact", "record_id": str(contact.id)}
    if route.path == "/api/v1/search":
        return route.path, None, {"q": "matrix"}
    return None


def _no_records(_db: Any, _owner_id: Any) -> Any:
    raise AssertionError("search has no records of its own")


SUBJECTS = [
    Subject(
        "list",
        lambda db, owner_id: make_list(db, owner_id=owner_id),
        update_body={"description": "matrix"},
        create_body=lambda _db, _cast: {"name": f"Matrix {uuid.uuid4().hex[:10]}"},
        record_request=_member_request,
        other_request=_other_request,
        list_path="/api/v1/lists",
        reassignable=False,
    ),
    Subject("search", _no_records, other_request=_other_request),
]
