"""The events booking pages publish: ``meeting.booked`` (besides the meeting's own
``meeting.created``), which the campaign engine reads to end sequences whose goal is a
booked meeting."""

from __future__ import annotations

from dataclasses import dataclass

from nexa.core.events import EventPayload, declare


@dataclass(frozen=True, kw_only=True)
class MeetingBooked(EventPayload):
    name: str
    meeting_id: str
    host_id: str
    related_type: str
    related_id: str
    booking_page_id: str
    starts_at: str


BOOKED = declare(
    "meeting.booked",
    payload=MeetingBooked,
    permission="meeting:read",
    description="A visitor booked a meeting on a public booking page",
)
