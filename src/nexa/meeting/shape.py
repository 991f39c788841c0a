"""What of a meeting leaves the service (API, web, events): see record/shapes.py."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from nexa.meeting.schemas import AttendeeOut, MeetingOut
from nexa.meeting.service import attendees_for
from nexa.models import Meeting
from nexa.record.shapes import Shaper, register


def meeting_out(session: Session, meeting: Meeting) -> MeetingOut:
    data: dict[str, Any] = {c.key: getattr(meeting, c.key) for c in Meeting.__mapper__.column_attrs}
    data["attendees"] = [
        AttendeeOut.model_validate(a, from_attributes=True) for a in attendees_for(session, meeting)
    ]
    return MeetingOut.model_validate(data)


MEETINGS = register(Shaper("meeting", MeetingOut, to_out=meeting_out))
