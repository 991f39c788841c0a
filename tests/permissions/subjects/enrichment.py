"""Enrichment and next best actions: records that have a suggestion to act on."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from nexa.core.actor import SYSTEM
from nexa.core.db import utcnow
from tests.permissions.subjects import Request, Subject

# the suggestion each made record is sure to have
KEYS = {
    "lead_next_action": "schedule_demo",
    "deal_next_action": "schedule_demo",
    "contact_next_action": "follow_up",
}


def _qualified_lead(db: Any, owner_id: Any) -> Any:
    from tests.factories.lead import make_lead

    return make_lead(db, SYSTEM, owner_id=owner_id, status="qualified")


def _early_deal(db: Any, owner_id: Any) -> Any:
    from tests.factories.deal import make_deal

    return make_deal(db, SYSTEM, owner_id=owner_id)  # prospecting, no meeting


def _quiet_contact(db: Any, owner_id: Any) -> Any:
    from tests.factories.contact import make_contact

    contact = make_contact(db, SYSTEM, owner_id=owner_id)
    contact.last_activity_at = utcnow() - timedelta(days=60)
    return contact


def _task_request(object_name: str) -> Any:
    def request(route: Any, _db: Any, record: Any, _cast: Any) -> Request | None:
        path = route.path.replace("{}", str(record.id), 1).replace("{}", KEYS[object_name], 1)
        return path, None, None

    return request


SUBJECTS = [
    Subject(name, make, record_request=_task_request(name))
    for name, make in (
        ("lead_next_action", _qualified_lead),
        ("deal_next_action", _early_deal),
        ("contact_next_action", _quiet_contact),
    )
]
