"""/api/v1/contacts: parse, call one service, shape the answer.

No ``from __future__ import annotations``: FastAPI reads the parameter annotations.
"""

import uuid
from typing import Any

from nexa.api.deps import ActorDep, ListQueryDep, SessionDep
from nexa.api.records import page_of, record_router
from nexa.api.scopes import needs
from nexa.contact.schemas import ContactCreate, ContactOut, ContactUpdate
from nexa.contact.service import ContactService
from nexa.contact.shape import CONTACTS
from nexa.core.schemas import Page

router = record_router(
    prefix="/contacts",
    noun="a contact",
    plural="contacts",
    service=ContactService,
    create_model=ContactCreate,
    update_model=ContactUpdate,
    out_model=ContactOut,
    shaper=CONTACTS,
    id_param="contact_id",
    names={
        "list": "list_contacts",
        "create": "create_contact",
        "get": "get_contact",
        "update": "update_contact",
    },
)


@router.get(
    "/{contact_id}/reports",
    response_model=Page[dict[str, Any]],
    summary="Direct reports of a contact",
    openapi_extra=needs("contact:read"),
)
def list_direct_reports(
    contact_id: uuid.UUID, session: SessionDep, actor: ActorDep, query: ListQueryDep
) -> dict[str, Any]:
    rows, next_cursor = ContactService(session, actor).direct_reports(contact_id, query)
    return page_of(rows, next_cursor, query, lambda contact: CONTACTS.one(session, contact))
