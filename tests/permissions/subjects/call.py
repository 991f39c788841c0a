from __future__ import annotations

import io
from typing import Any

from nexa.call.service import CallService
from nexa.core.actor import SYSTEM
from tests.factories.call import make_call
from tests.permissions.subjects import Subject

AUDIO = b"ID3\x03\x00matrix-recording"


def _call_with_recording(db: Any, owner_id: Any) -> Any:
    call = make_call(db, SYSTEM, owner_id=owner_id)
    return CallService(db, SYSTEM).upload_recording(call.id, io.BytesIO(AUDIO), "audio/mpeg")


def _files(route: Any, _db: Any, _record: Any, _cast: Any) -> dict[str, Any] | None:
    """The multipart body of PUT /calls/{}/recording (needs the matrix to send ``files``)."""
    if route.method == "PUT" and route.path.endswith("/recording"):
        return {"file": ("call.mp3", AUDIO, "audio/mpeg")}
    return None


SUBJECT = Subject(
    "call",
    _call_with_recording,
    update_body={"subject": "matrix", "outcome": "connected"},
    create_body=lambda _db, _cast: {"subject": "A call", "direction": "inbound"},
    list_path="/api/v1/calls",
    reassignable=False,
    files=_files,
)
SUBJECTS = [SUBJECT]
