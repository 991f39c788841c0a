"""All of the custom fields' SQL, and the SQL of a filter on a multi-select field."""

from __future__ import annotations

from typing import Any

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from nexa.core.filtering import FieldSpec
from nexa.models import CustomField


class CustomFieldRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def live(self, object_type: str) -> list[CustomField]:
        """The definitions of ``object_type`` that are not archived, in form order."""
        return list(
            self.session.scalars(
                select(CustomField)
                .where(CustomField.object_type == object_type, CustomField.archived.is_(False))
                .order_by(CustomField.position, CustomField.key)
            )
        )

    def all(self, object_type: str | None) -> list[CustomField]:
        stmt = select(CustomField).order_by(
            CustomField.object_type, CustomField.position, CustomField.key
        )
        if object_type:
            stmt = stmt.where(CustomField.object_type == object_type)
        return list(self.session.scalars(stmt))

    def key_taken(self, object_type: str, key: str) -> bool:
        return bool(
            self.session.scalar(
                select(
                    exists().where(CustomField.object_type == object_type, CustomField.key == key)
                )
            )
        )


def list_contains_clause(session: Session, json_column: Any) -> Any:
    """``custom.tags:contains:x`` on a multi-select (JSON array) field, on both back ends."""

    def clause(spec: FieldSpec, value: str) -> Any:
        key = spec.name.removeprefix("custom.")
        dialect = session.get_bind().dialect.name
        if dialect == "postgresql":
            return json_column[key].op("@>")(func.jsonb_build_array(value))
        each = func.json_each(json_column, f"$.{key}").table_valued("value")
        return exists(select(1).select_from(each).where(each.c.value == value))

    return clause
