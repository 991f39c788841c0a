"""What of a mass email leaves the service (API, web, events): see record/shapes.py."""

from __future__ import annotations

from sqlalchemy.orm import Session

from nexa.mass_email.schemas import MassEmailOut
from nexa.models import MassEmail
from nexa.record.shapes import Shaper, register


def mass_email_out(_session: Session | None, record: MassEmail) -> MassEmailOut:
    data = {c.key: getattr(record, c.key) for c in MassEmail.__mapper__.column_attrs}
    return MassEmailOut.model_validate(data)


MASS_EMAILS = register(Shaper("mass_email", MassEmailOut, to_out=mass_email_out))
