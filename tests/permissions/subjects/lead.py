from __future__ import annotations

import uuid
from typing import Any

from tests.factories.lead import FORM_FIELDS, make_lead, make_web_form
from tests.permissions.subjects import Request, Subject
from tests.permissions.subjects.email import subscriptions_request
from tests.permissions.subjects.sms import sms_consent_request


def _lead_other(route: Any, _db: Any, _cast: Any) -> Request | None:
    if route.method == "POST" and route.path == "/api/v1/leads":
        return route.path, {"last_name": f"Matrix {uuid.uuid4().hex[:8]}"}, None
    if route.path == "/api/v1/leads/duplicates":
        return route.path, None, {"last_name": "Doe", "company": "Acme"}
    if route.method == "POST" and route.path == "/api/v1/lead-sources":
        return route.path, {"key": f"src_{uuid.uuid4().hex[:8]}", "label": "Partner"}, None
    if route.method == "POST" and route.path == "/api/v1/web-forms":
        body = {"name": "Matrix", "slug": f"m-{uuid.uuid4().hex[:8]}", "fields": FORM_FIELDS}
        return route.path, body, None
    if route.method == "PUT" and route.path == "/api/v1/web-forms/settings":
        return route.path, {"redirect_hosts": ["example.com"]}, None
    return None


def _lead_record(route: Any, _db: Any, record: Any, _cast: Any) -> Request | None:
    if route.path.startswith("/api/v1/leads/{}/convert"):
        return route.path.replace("{}", str(record.id)), {"deal_amount": "1000"}, None
    return subscriptions_request(route, record) or sms_consent_request(route, record)


SUBJECTS = [
    Subject(
        "lead",
        lambda db, owner_id: make_lead(db, owner_id=owner_id),
        update_body={"title": "Head of matrix"},
        create_body=lambda _db, _cast: {"last_name": f"Matrix {uuid.uuid4().hex[:8]}"},
        other_request=_lead_other,
        record_request=_lead_record,
        list_path="/api/v1/leads",
        reassignable=True,
    ),
    Subject(
        "web_form",
        lambda db, _owner_id: make_web_form(db),
        update_body={"name": "Renamed"},
    ),
]
