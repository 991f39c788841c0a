"""What of a call leaves the service (API, web, events): see record/shapes.py."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from nexa.call.schemas import CallOut
from nexa.models import Call
from nexa.record.shapes import Shaper, register


def call_out(_session: Session, call: Call) -> CallOut:
    data: dict[str, Any] = {c.key: getattr(call, c.key) for c in Call.__mapper__.column_attrs}
    data["has_recording"] = call.recording_path is not None
    return CallOut.model_validate(data)


CALLS = register(Shaper("call", CallOut, to_out=call_out))
