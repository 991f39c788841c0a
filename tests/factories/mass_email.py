"""Mass emails for tests, created through the service (so events, audit and timeline run)."""

from __future__ import annotations

import uuid
from typing import Any

from nexa.core.actor import SYSTEM, Actor
from nexa.mass_email.schemas import MassEmailCreate
from nexa.mass_email.service import MassEmailService
from nexa.models import MassEmail
from tests.factories.segment import make_list

VARIANT = {"subject": "Hello {{ lead.first_name | default('there') }}", "text": "News for you"}


def make_mass_email(
    db: Any, actor: Actor | None = None, *, owner_id: uuid.UUID | None = None, **fields: Any
) -> MassEmail:
    fields.setdefault("name", f"Mass email {uuid.uuid4().hex[:8]}")
    if "list_id" not in fields:
        fields["list_id"] = make_list(db, object_type="lead").id
    fields.setdefault("variants", [VARIANT])
    extra = {"owner_id": owner_id} if owner_id is not None else {}
    return MassEmailService(db, actor or SYSTEM).create(MassEmailCreate(**fields), **extra)
