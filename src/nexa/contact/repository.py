"""All of the contacts' SQL."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import Select, exists, func, literal, select

from nexa.core.actor import Actor
from nexa.core.filtering import FieldSpec
from nexa.core.records import model_fields
from nexa.core.repository import Repository, unscoped
from nexa.core.text import text_key
from nexa.metadata import service as metadata
from nexa.models import Contact
from nexa.models.contact import CUSTOMER_STATUSES, LIFECYCLE_STAGES
from nexa.segment.repository import membership_field

KINDS = {
    "id": "uuid",
    "first_name": "str",
    "last_name": "str",
    "email": "str",
    "phone": "str",
    "mobile": "str",
    "title": "str",
    "department": "str",
    "linkedin_url": "str",
    "account_id": "uuid",
    "reporting_to_id": "uuid",
    "lifecycle_stage": "enum",
    "customer_status": "enum",
    "tags": "list",
    "owner_id": "uuid",
    "last_activity_at": "datetime",
    "created_at": "datetime",
    "updated_at": "datetime",
    "deleted_at": "datetime",
}
SORTABLE = {"last_name", "first_name", "email", "created_at", "updated_at", "lifecycle_stage"}
CHOICES = {"lifecycle_stage": LIFECYCLE_STAGES, "customer_status": CUSTOMER_STATUSES}


class ContactRepository(Repository[Contact]):
    model = Contact
    object_name = "contact"

    def fields(self) -> dict[str, FieldSpec]:
        specs = model_fields(Contact, KINDS, SORTABLE, CHOICES)
        specs["full_name"] = FieldSpec(
            "full_name", Contact.first_name + literal(" ") + Contact.last_name, "str"
        )
        specs.update(metadata.filter_specs(self.session, "contact", Contact.custom_fields))
        specs["list"] = membership_field(self)  # list:eq:<list id> (nexa.segment)
        return specs

    def list_contains(self) -> Callable[[FieldSpec, str], Any]:
        """``tags:contains:vip`` on the tag list, ``custom.<key>:contains:x`` on multi-selects."""
        custom = metadata.list_contains_clause(self.session, Contact.custom_fields)
        postgres = self.session.get_bind().dialect.name == "postgresql"

        def clause(spec: FieldSpec, value: str) -> Any:
            if spec.name != "tags":
                return custom(spec, value)
            if postgres:
                return Contact.tags.op("@>")(func.jsonb_build_array(value))
            each = func.json_each(Contact.tags).table_valued("value")
            return exists(select(1).select_from(each).where(each.c.value == value))

        return clause

    def email_taken(self, email: str, exclude_id: uuid.UUID | None = None) -> bool:
        """Whether a live contact has this email (system view: uniqueness sees everything)."""
        stmt = select(Contact.id).where(
            Contact.email_key == text_key(email), Contact.deleted_at.is_(None)
        )
        if exclude_id is not None:
            stmt = stmt.where(Contact.id != exclude_id)
        return self.session.scalars(unscoped(stmt)).first() is not None

    def reporting_to(self, actor: Actor, manager_id: uuid.UUID) -> Select[Any]:
        """The readable live contacts who report to ``manager_id`` (a statement to page)."""
        return self.readable(actor).where(Contact.reporting_to_id == manager_id)

    def reporting_chain(self, contact_id: uuid.UUID) -> set[uuid.UUID]:
        """Ids from ``contact_id`` up its reporting line to the top, in one recursive query
        (system view: a cycle check must see every link). UNION stops on a looped chain."""
        chain = (
            select(Contact.id, Contact.reporting_to_id)
            .where(Contact.id == contact_id)
            .cte("reporting_chain", recursive=True)
        )
        chain = chain.union(
            select(Contact.id, Contact.reporting_to_id).join(
                chain, Contact.id == chain.c.reporting_to_id
            )
        )
        return set(self.session.scalars(unscoped(select(chain.c.id))))
