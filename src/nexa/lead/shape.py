"""What of a lead leaves the service (API, web, export, events): see record/shapes.py."""

from __future__ import annotations

from sqlalchemy.orm import Session

from nexa.core.localtime import zone_and_source
from nexa.core.text import script_flags
from nexa.lead.schemas import LeadOut, full_name
from nexa.models import Lead
from nexa.record.shapes import Shaper, register

LEAD_COLUMNS = [c.key for c in Lead.__mapper__.column_attrs]


def lead_out(_session: Session, lead: Lead) -> LeadOut:
    data = {name: getattr(lead, name) for name in LEAD_COLUMNS}
    data["full_name"] = full_name(lead.first_name, lead.last_name)
    zone, source = zone_and_source(lead)
    data["effective_time_zone"], data["time_zone_source"] = str(zone), source
    data["flags"] = script_flags(
        {
            "first_name": lead.first_name,
            "last_name": lead.last_name,
            "company": lead.company,
            "email": lead.email,
        }
    )
    return LeadOut.model_validate(data)


LEADS = register(Shaper("lead", LeadOut, to_out=lead_out))
