"""A member's local time for the engine: its zone (``nexa.core.localtime.member_zone``: its
own field, else inferred from its country and phone, else the organization's default, else
UTC), "until Tuesday 09:00" and quiet hours in it (``next_local``, ``out_of_quiet_hours``),
and the send-time optimisation (``nexa.intelligence.send_time.best_hours``)."""

from __future__ import annotations

import uuid
from datetime import datetime, tzinfo
from types import SimpleNamespace

from sqlalchemy.orm import Session

from nexa.campaign.repository import CampaignRepository
from nexa.core.localtime import member_zone, next_local, out_of_quiet_hours
from nexa.models import CampaignMember

__all__ = ["best_send_times", "next_local", "out_of_quiet_hours", "zones_of"]


def zones_of(session: Session, members: list[CampaignMember]) -> dict[uuid.UUID, tzinfo]:
    from nexa.metadata.organization import organization_zone

    default = organization_zone(session)
    facts = CampaignRepository(session).zone_facts([(m.record_type, m.record_id) for m in members])
    out: dict[uuid.UUID, tzinfo] = {}
    for m in members:
        zone, country, phone, mobile = facts.get((m.record_type, m.record_id), (None,) * 4)
        record = SimpleNamespace(time_zone=zone, country=country, phone=phone, mobile=mobile)
        out[m.id] = member_zone(record, default)
    return out


def best_send_times(
    session: Session,
    members: list[CampaignMember],
    due: dict[uuid.UUID, datetime],
    zones: dict[uuid.UUID, tzinfo],
) -> dict[uuid.UUID, datetime]:
    """Each member's due time moved to the first of their best hour (from their own opens and
    clicks, else their segment's, else the organization's) at or after it, in their zone:
    at most a day later; members with no history at all keep their due time."""
    from nexa.intelligence.send_time import best_hours

    choices = best_hours(session, [(m.record_type, m.record_id) for m in members])
    out: dict[uuid.UUID, datetime] = {}
    for m in members:
        at = due[m.id]
        choice = choices.get((m.record_type, m.record_id))
        if choice is None or choice.hour is None:
            out[m.id] = at
            continue
        out[m.id] = next_local(at, zones[m.id], None, f"{choice.hour:02d}:00")
    return out
