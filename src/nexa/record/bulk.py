"""Changes to many records at once, through each record's service: every record is checked
against the acting user and gets its own events, and the caller's transaction makes the whole
change all or nothing (one refused record refuses the batch, naming it)."""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import BaseModel, ValidationError

from nexa.core.errors import DomainError, ValidationFailed

MAX_BULK = 500


def _check(ids: list[uuid.UUID]) -> list[uuid.UUID]:
    unique = list(dict.fromkeys(ids))
    if len(unique) > MAX_BULK:
        raise ValidationFailed(f"at most {MAX_BULK} records at once", field="ids")
    return unique


def update_each(
    service: Any, update_model: type[BaseModel], ids: list[uuid.UUID], values: dict[str, Any]
) -> int:
    try:
        body = update_model.model_validate(values)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = first.get("loc") or ("ids",)
        raise ValidationFailed(str(first.get("msg")), field=str(loc[0])) from None
    done = 0
    for record_id in _check(ids):
        try:
            service.update(record_id, body)
        except DomainError as exc:
            raise type(exc)(
                f"record {str(record_id)[:8]}: {exc.detail}", field=exc.field or "ids"
            ) from None
        done += 1
    return done


def delete_each(service: Any, ids: list[uuid.UUID]) -> int:
    done = 0
    for record_id in _check(ids):
        try:
            service.delete(record_id)
        except DomainError as exc:
            raise type(exc)(
                f"record {str(record_id)[:8]}: {exc.detail}", field=exc.field or "ids"
            ) from None
        done += 1
    return done
