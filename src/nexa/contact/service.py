"""Contacts: the business rules, on the shared record life cycle (``RecordService``)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from nexa.contact.events import CONTACT_EVENTS
from nexa.contact.repository import ContactRepository
from nexa.contact.schemas import ContactCreate, ContactUpdate, full_name
from nexa.core.actor import Actor
from nexa.core.errors import NotFound, ValidationFailed
from nexa.core.filtering import ListQuery
from nexa.core.records import keyset_page
from nexa.models import Contact
from nexa.record.service import RecordService, Unique, check_reference

OBJECT = "contact"


class ContactService(RecordService[Contact]):
    model = Contact
    repository = ContactRepository
    label = "contact"
    default_sort = "last_name"
    not_empty = ("first_name", "last_name", "lifecycle_stage")
    unique = (
        Unique(
            "email",
            "uq_contacts_email_live",
            "contact",
            restore_message="another live contact has the email {value}; change it first",
        ),
    )
    custom_fields = True
    announce_owner = False
    events = CONTACT_EVENTS
    create_denied = "you may not create contacts"
    repo: ContactRepository

    def payload(self, record: Contact) -> dict[str, Any]:
        return {"name": full_name(record.first_name, record.last_name), "email": record.email}

    def prepare(self, values: dict[str, Any], record: Contact | None) -> dict[str, Any]:
        if record is None and values.get("lifecycle_stage") is None:
            values["lifecycle_stage"] = "lead"
        if "account_id" in values and (record is None or values["account_id"] != record.account_id):
            # by name: the account package is not imported (it refers to contacts too)
            check_reference(self.session, self.actor, "account", values["account_id"], "account_id")
        if "reporting_to_id" in values and (
            record is None or values["reporting_to_id"] != record.reporting_to_id
        ):
            self._check_reporting_to(record.id if record else None, values["reporting_to_id"])
        return values

    def list_contains(self) -> Any:
        return self.repo.list_contains()

    def _check_reporting_to(
        self, contact_id: uuid.UUID | None, reporting_to_id: uuid.UUID | None
    ) -> None:
        if reporting_to_id is None:
            return
        if reporting_to_id == contact_id:
            raise ValidationFailed("a contact cannot report to themselves", field="reporting_to_id")
        try:
            self.repo.get(self.actor, reporting_to_id)
        except NotFound:
            raise ValidationFailed(
                "no contact with this id that you can see", field="reporting_to_id"
            ) from None
        if contact_id is not None and contact_id in self.repo.reporting_chain(reporting_to_id):
            raise ValidationFailed(
                "this contact is above the new manager in the reporting line"
                " (that would make a cycle)",
                field="reporting_to_id",
            )

    def direct_reports(
        self, contact_id: uuid.UUID, query: ListQuery
    ) -> tuple[list[Contact], str | None]:
        """The live contacts the actor can read who report to ``contact_id``."""
        manager = self.repo.get(self.actor, contact_id)
        return keyset_page(
            self.session,
            self.repo.reporting_to(self.actor, manager.id),
            query,
            self.repo.fields(),
            Contact.id,
            default_sort=self.default_sort,
            list_contains=self.repo.list_contains(),
        )


# Function-style entry points for flows (lead conversion, demo, import): each is the
# service's own life cycle, nothing more.
def create_contact(session: Session, actor: Actor, data: ContactCreate) -> Contact:
    return ContactService(session, actor).create(data)


def update_contact(
    session: Session,
    actor: Actor,
    contact_id: uuid.UUID,
    data: ContactUpdate,
    *,
    if_match: int | None = None,
) -> Contact:
    return ContactService(session, actor).update(contact_id, data, if_match=if_match)


def delete_contact(
    session: Session, actor: Actor, contact_id: uuid.UUID, *, if_match: int | None = None
) -> Contact:
    return ContactService(session, actor).delete(contact_id, if_match=if_match)


def list_contacts(
    session: Session, actor: Actor, query: ListQuery
) -> tuple[list[Contact], str | None]:
    return ContactService(session, actor).list(query)
