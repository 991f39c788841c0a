"""/api/v1/meetings: the standard record routes plus the iCalendar invitation.

No ``from __future__ import annotations``: FastAPI reads the parameter annotations.
"""

import uuid

from fastapi import Response

from nexa.api.deps import ActorDep, SessionDep
from nexa.api.records import record_router
from nexa.api.scopes import needs
from nexa.meeting.schemas import MeetingCreate, MeetingOut, MeetingUpdate
from nexa.meeting.service import MeetingService
from nexa.meeting.shape import MEETINGS

router = record_router(
    prefix="/meetings",
    noun="a meeting",
    plural="meetings",
    service=MeetingService,
    create_model=MeetingCreate,
    update_model=MeetingUpdate,
    out_model=MeetingOut,
    shaper=MEETINGS,
)


@router.get(
    "/{meeting_id}/ics",
    summary="The meeting as an iCalendar invitation",
    response_class=Response,
    responses={200: {"content": {"text/calendar": {}}}},
    openapi_extra=needs("meeting:read"),
)
def meeting_ics(meeting_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> Response:
    text = MeetingService(session, actor).invitation(meeting_id)
    return Response(
        content=text.encode("utf-8"),
        media_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="meeting.ics"'},
    )
