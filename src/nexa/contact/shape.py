"""What of a contact leaves the service (API, web, export, events): see record/shapes.py."""

from __future__ import annotations

from sqlalchemy.orm import Session

from nexa.contact.schemas import ContactOut, full_name
from nexa.core.localtime import zone_and_source
from nexa.core.text import script_flags
from nexa.models import Contact
from nexa.record.shapes import Shaper, register


def contact_out(_session: Session | None, contact: Contact) -> ContactOut:
    data = {c.key: getattr(contact, c.key) for c in Contact.__mapper__.column_attrs}
    data["full_name"] = full_name(contact.first_name, contact.last_name)
    zone, source = zone_and_source(contact)
    data["effective_time_zone"], data["time_zone_source"] = str(zone), source
    data["flags"] = script_flags(
        {"first_name": contact.first_name, "last_name": contact.last_name, "email": contact.email}
    )
    return ContactOut.model_validate(data)


CONTACTS = register(Shaper("contact", ContactOut, to_out=contact_out))
