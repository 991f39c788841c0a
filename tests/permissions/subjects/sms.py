"""SMS: a text message owned by its sender, and valid bodies (the ``log`` provider is set up
first; delivery jobs are only recorded, nothing is sent)."""

from __future__ import annotations

import uuid
from typing import Any

from nexa.core.actor import SYSTEM
from tests.permissions.subjects import Request, Subject


def _settings(db: Any) -> None:
    from nexa.sms.schemas import SmsSettingsIn
    from nexa.sms.service import put_sms_settings

    put_sms_settings(db, SYSTEM, SmsSettingsIn(provider="log"))


def _sms(db: Any, owner_id: Any) -> Any:
    from nexa.models import SmsMessage

    message = SmsMessage(
        id=uuid.uuid4(),
        direction="out",
        to_number="+15555550100",
        body="Hello",
        state="sent",
        attempts=1,
        owner_id=owner_id,
    )
    db.add(message)
    db.flush()
    return message


def _other_request(route: Any, db: Any, cast: Any) -> Request | None:
    if route.path == "/api/v1/sms" and route.method == "POST":
        from tests.factories.lead import make_lead

        _settings(db)
        lead = make_lead(db, owner_id=cast.actor.id, phone="+15555550101")
        return route.path, {"record_type": "lead", "record_id": str(lead.id), "body": "Hi"}, None
    if route.path == "/api/v1/sms/settings" and route.method == "PUT":
        return route.path, {"provider": "log"}, None
    return None


SUBJECTS = [Subject("sms", _sms, list_path="/api/v1/sms", other_request=_other_request)]


def sms_consent_request(route: Any, record: Any) -> Request | None:
    """The body of PUT /api/v1/{contacts,leads}/{id}/sms-consent (the contact and lead
    subjects call this)."""
    if route.path.endswith("/sms-consent") and route.method == "PUT":
        body = {"status": "subscribed", "source": "form"}
        return route.path.replace("{}", str(record.id)), body, None
    return None
