"""Accounts and contacts, and the platform's non-record operations."""

from __future__ import annotations

import base64
import io
import uuid
from typing import Any

from nexa.core.actor import SYSTEM
from tests.permissions.subjects import Request, Subject
from tests.permissions.subjects.email import subscriptions_request
from tests.permissions.subjects.sms import sms_consent_request


def _account(db: Any, owner_id: Any) -> Any:
    from tests.factories.account import make_account

    return make_account(db, SYSTEM, owner_id=owner_id)


def _contact(db: Any, owner_id: Any) -> Any:
    from tests.factories.contact import make_contact

    return make_contact(db, SYSTEM, owner_id=owner_id)


def png(width: int, height: int) -> bytes:
    """A small PNG made here (a logo)."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), (20, 90, 160)).save(out, format="PNG")
    return out.getvalue()


def _platform_request(route: Any, db: Any, cast: Any) -> Request | None:
    """A valid request for the operation; who may make it is the policy's business."""
    from nexa.metadata.schemas import CustomFieldCreate
    from nexa.metadata.service import create_definition
    from nexa.notification.service import notify

    path, body, params = route.path, None, None
    tag = uuid.uuid4().hex[:8]
    if route.path == "/api/v1/users" and route.method == "POST":
        body = {"email": f"new.{tag}@example.com", "full_name": "New Person", "role": "sales_rep"}
    elif route.path == "/api/v1/users/{}":
        path = path.replace("{}", str(cast.teammate.id))
        body = {"full_name": f"Renamed {tag}"} if route.method == "PATCH" else None
    elif route.path == "/api/v1/users/{}/sessions":
        path = path.replace("{}", str(cast.teammate.id))
    elif route.path == "/api/v1/me" and route.method == "PATCH":
        body = {"full_name": f"Me {tag}"}
    elif route.path == "/api/v1/teams" and route.method == "POST":
        body = {"name": f"Team {tag}"}
    elif route.path == "/api/v1/teams/{}":
        path = path.replace("{}", str(cast.teammate.user.team_id))
        body = {"name": f"Renamed team {tag}"} if route.method == "PATCH" else None
    elif route.path == "/api/v1/roles/{}":
        path = path.replace("{}", "read_only")
        body = {"grants": {"account:read": "own", "contact:read": "own"}}
    elif route.path == "/api/v1/settings/visibility" and route.method == "PUT":
        body = {"account": "private"}
    elif route.path == "/api/v1/settings/organization" and route.method == "PUT":
        body = {"name": f"Seller {tag}", "address": "1 Main St\nSpringfield"}
    elif route.path == "/api/v1/settings/organization/logo" and route.method == "PUT":
        body = {"content_base64": base64.b64encode(png(8, 8)).decode()}
    elif route.path == "/api/v1/settings/organization/logo" and route.method == "GET":
        from nexa.metadata.organization import set_logo

        set_logo(db, SYSTEM, png(8, 8))
    elif route.path == "/api/v1/api-keys" and route.method == "POST":
        body = {"name": f"key {tag}", "user_id": str(cast.teammate.id), "scopes": ["contact:read"]}
    elif route.path == "/api/v1/api-keys/{}":
        from sqlalchemy import select

        from nexa.models import ApiKey

        key_id = db.scalars(select(ApiKey.id).where(ApiKey.user_id == cast.teammate.id)).first()
        path = path.replace("{}", str(key_id))
    elif route.path == "/api/v1/custom-fields" and route.method == "POST":
        body = {"object_type": "contact", "key": f"k_{tag}", "label": "K", "field_type": "text"}
    elif route.path == "/api/v1/custom-fields/{}":
        field = create_definition(
            db,
            SYSTEM,
            CustomFieldCreate(object_type="account", key=f"f_{tag}", label="F", field_type="text"),
        )
        path = path.replace("{}", str(field.id))
        body = {"label": "G"}
    elif route.path == "/api/v1/notifications/{}/read":
        note = notify(db, user_id=cast.actor.id, kind="test", title="hello")
        path = path.replace("{}", str(note.id))
    else:
        return None
    return path, body, params


def _contact_record(route: Any, _db: Any, record: Any, _cast: Any) -> Request | None:
    return subscriptions_request(route, record) or sms_consent_request(route, record)


SUBJECTS = [
    Subject(
        "account",
        _account,
        update_body={"description": "matrix"},
        create_body=lambda _db, _cast: {"name": f"Account {uuid.uuid4().hex[:8]}"},
        other_request=_platform_request,
        list_path="/api/v1/accounts",
        reassignable=True,
    ),
    Subject(
        "contact",
        _contact,
        update_body={"title": "matrix"},
        create_body=lambda _db, _cast: {"first_name": "Pat", "last_name": "Lee"},
        other_request=_platform_request,
        record_request=_contact_record,
        list_path="/api/v1/contacts",
        reassignable=True,
    ),
]
