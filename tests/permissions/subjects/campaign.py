"""Campaigns: a running campaign with one task step (no mail server needed); each life-cycle
route finds the campaign in the status it moves from; enrolment names a lead owned by the
case's person (own / team / other)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from nexa.core.actor import SYSTEM
from tests.factories.campaign import make_campaign
from tests.factories.lead import make_lead
from tests.permissions.subjects import Request, Subject

STEP = [{"channel": "task", "body": "Call them", "day": 0}]
FROM_STATUS = {
    "start": "draft",
    "schedule": "draft",
    "pause": "running",
    "resume": "paused",
    "complete": "running",
}


def _make(db: Any, owner_id: Any) -> Any:
    campaign = make_campaign(db, SYSTEM, steps=STEP, owner_id=owner_id)
    campaign.status = "running"
    return campaign


def _record_request(route: Any, db: Any, record: Any, cast: Any) -> Request | None:
    path = route.path.replace("{}", str(record.id), 1)
    verb = path.rsplit("/", 1)[-1]
    if verb in FROM_STATUS:
        record.status = FROM_STATUS[verb]
        db.commit()
        if verb == "schedule":
            later = datetime.now(UTC) + timedelta(days=3)
            return path, {"start_at": later.isoformat()}, None
        return path, None, None
    if path.endswith("/steps"):
        return path, {"steps": [{"channel": "task", "body": "Again", "day": 1}]}, None
    if path.endswith("/optimization"):
        return path, {"optimize": ["send_time"]}, None
    if path.endswith("/members") and route.method != "GET":
        owner = {"own": cast.actor, "team": cast.teammate}.get(_case(record, cast), cast.outsider)
        lead = make_lead(db, SYSTEM, owner_id=owner.id)
        db.commit()
        body = {"record_type": "lead", "record_ids": [str(lead.id)]}
        if route.method == "POST":
            return path, body, None
        from nexa.campaign import service
        from nexa.campaign.schemas import Enrol

        service.enrol(db, SYSTEM, record.id, Enrol(**body))
        db.commit()
        return path, body, None
    return None


def _case(record: Any, cast: Any) -> str:
    if record.owner_id == cast.actor.id:
        return "own"
    if record.owner_id == cast.teammate.id:
        return "team"
    return "other"


def _other_request(route: Any, db: Any, cast: Any) -> Request | None:
    if route.path == "/api/v1/campaigns/memberships":
        lead = make_lead(db, SYSTEM, owner_id=cast.actor.id)
        return route.path, None, {"record_type": "lead", "record_id": str(lead.id)}
    if route.path == "/api/v1/campaigns/goal-events":
        lead = make_lead(db, SYSTEM, owner_id=cast.actor.id)
        return (
            route.path,
            {"name": "trial_started", "record_type": "lead", "record_id": str(lead.id)},
            None,
        )
    return None


SUBJECTS = [
    Subject(
        "campaign",
        _make,
        update_body={"description": "matrix"},
        create_body=lambda _db, _cast: {"name": f"Matrix {uuid.uuid4().hex[:10]}"},
        record_request=_record_request,
        other_request=_other_request,
        list_path="/api/v1/campaigns",
        reassignable=False,
    ),
]
