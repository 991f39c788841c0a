"""/api/v1/meetings: the standard record routes plus the iCalendar invitation.

No ``from __future__ import annotations``: FastAPI reads the parameter annotations.
"""

import uuid
from typing import Any

from fastapi import Response
from sqlalchemy.orm import Session

from nexa.api.deps import ActorDep, SessionDep
from nexa.api.records import record_router
from nexa.meeting.schemas import AttendeeOut, MeetingCreate, MeetingOut, MeetingUpdate
from nexa.meeting.service import MeetingService, attendees_for
from nexa.models import Meeting


def to_out(session: Session, meeting: Meeting) -> MeetingOut:
    data: dict[str, Any] = {c.key: getattr(meeting, c.key) for c in Meeting.__mapper__.column_attrs}
    data["attendees"] = [
        AttendeeOut.model_validate(a, from_attributes=True) for a in attendees_for(session, meeting)
    ]
    return MeetingOut.model_validate(data)


router = record_router(
    prefix="/meetings",
    noun="a meeting",
    plural="meetings",
    service=MeetingService,
    create_model=MeetingCreate,
    update_model=MeetingUpdate,
    out_model=MeetingOut,
    to_out=to_out,
)


@router.get(
    "/{meeting_id}/ics",
    summary="The meeting as an iCalendar invitation",
    response_class=Response,
    responses={200: {"content": {"text/calendar": {}}}},
)
def meeting_ics(meeting_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> Response:
    text = MeetingService(session, actor).invitation(meeting_id)
    return Response(
        content=text.encode("utf-8"),
        media_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="meeting.ics"'},
    )
