"""What of a list leaves the service (API, web, events): see record/shapes.py."""

from __future__ import annotations

from sqlalchemy.orm import Session

from nexa.models import RecordList
from nexa.record.shapes import Shaper, register
from nexa.segment import service
from nexa.segment.schemas import ListOut


def list_out(_session: Session | None, record: RecordList) -> ListOut:
    data = {c.key: getattr(record, c.key) for c in RecordList.__mapper__.column_attrs}
    data["filters"] = service.split_filter(record.filter)
    return ListOut.model_validate(data)


LISTS = register(Shaper("list", ListOut, to_out=list_out))
