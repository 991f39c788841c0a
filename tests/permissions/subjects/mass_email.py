"""Mass emails (object "mass_email"): schedule and test-send need the SMTP settings."""

from __future__ import annotations

import uuid
from typing import Any

from nexa.core.actor import SYSTEM
from nexa.email import service as email_service
from nexa.email.schemas import SmtpSettingsIn
from tests.factories.mass_email import VARIANT, make_mass_email
from tests.factories.segment import make_list
from tests.permissions.subjects import Request, Subject


def _smtp(db: Any) -> None:
    """Settings only: nothing is delivered in the matrix (jobs are recorded, not run)."""
    email_service.put_smtp_settings(
        db,
        SYSTEM,
        SmtpSettingsIn(host="127.0.0.1", port=2525, security="none", from_domain="example.com"),
    )


def _record_request(route: Any, db: Any, record: Any, cast: Any) -> Request | None:
    path = route.path.replace("{}", str(record.id), 1)
    if path.endswith("/schedule"):
        _smtp(db)
        return path, {}, None
    if path.endswith("/test-send"):
        _smtp(db)
        return path, {}, None
    return None


def _create_body(db: Any, _cast: Any) -> dict[str, Any]:
    lst = make_list(db, object_type="lead")
    return {
        "name": f"Matrix {uuid.uuid4().hex[:10]}",
        "list_id": str(lst.id),
        "variants": [VARIANT],
    }


SUBJECTS = [
    Subject(
        "mass_email",
        lambda db, owner_id: make_mass_email(db, owner_id=owner_id),
        update_body={"name": "matrix"},
        create_body=_create_body,
        record_request=_record_request,
        list_path="/api/v1/mass-emails",
        reassignable=False,
    ),
]
