"""Which record types exist and how to read them: every ``Repository`` subclass registers
itself under its ``object_name`` (core/repository.py); this module answers "is record X of
type T readable by this actor?" for links to any record, the timeline and search."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from nexa.core.actor import Actor
from nexa.core.errors import NotFound, ValidationFailed
from nexa.core.repository import LINKABLE, REPOSITORIES


def require_readable_link(
    session: Session,
    actor: Actor,
    record_type: str | None,
    record_id: uuid.UUID | None,
    *,
    field: str = "related_id",
    allowed: tuple[str, ...] = LINKABLE,
) -> Any:
    """The linked record when ``actor`` can read it; 422 naming ``field`` otherwise."""
    if record_type is None and record_id is None:
        return None
    type_field = field.replace("_id", "_type")
    if record_type is None or record_id is None:
        raise ValidationFailed(
            f"give both {type_field} and {field}, or neither",
            field=field if record_id else type_field,
        )
    if record_type not in allowed or record_type not in REPOSITORIES:
        raise ValidationFailed(
            f"'{record_type[:40]}' cannot be linked; choose one of {', '.join(allowed)}",
            field=type_field,
        )
    try:
        return REPOSITORIES[record_type](session).get(actor, record_id)
    except NotFound:
        raise ValidationFailed(
            f"no {record_type} with this id that you can see", field=field
        ) from None
