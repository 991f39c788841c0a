"""Contacts: the business rules. Every function takes the session and the acting user."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from nexa.account.repository import AccountRepository
from nexa.contact.repository import ContactRepository
from nexa.contact.schemas import ContactCreate, ContactUpdate, full_name
from nexa.core.actor import Actor
from nexa.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from nexa.core.events import declare, publish
from nexa.core.filtering import ListQuery
from nexa.core.ownership import check_owner
from nexa.core.records import (
    apply_changes,
    check_version,
    delete_record,
    keyset_page,
    list_records,
    restore_record,
)
from nexa.metadata import service as metadata
from nexa.models import Contact, User

declare("contact.created", permission="contact:read", description="A contact was created")
declare("contact.updated", permission="contact:read", description="A contact's fields changed")
declare("contact.deleted", permission="contact:read", description="A contact was moved to the bin")
declare("contact.restored", permission="contact:read", description="A contact was restored")

OBJECT = "contact"
NOT_EMPTY = ("first_name", "last_name", "lifecycle_stage")
EMAIL_INDEX = "uq_contacts_email_live"


def _column_values(data: ContactCreate | ContactUpdate, *, partial: bool) -> dict[str, Any]:
    values = data.model_dump(exclude_unset=partial, exclude={"custom_fields"})
    if partial:
        for name in NOT_EMPTY:
            if name in values and values[name] is None:
                raise ValidationFailed(f"{name} cannot be empty", field=name)
    elif values.get("lifecycle_stage") is None:
        values["lifecycle_stage"] = "lead"
    if "tags" in values and values["tags"] is None:
        values["tags"] = []
    return values


def _payload(contact: Contact) -> dict[str, Any]:
    return {"name": full_name(contact.first_name, contact.last_name), "email": contact.email}


def _check_owner(
    session: Session, actor: Actor, owner_id: uuid.UUID, *, current: uuid.UUID | None
) -> None:
    check_owner(
        actor, OBJECT, owner_id, current=current, load_user=lambda uid: session.get(User, uid)
    )


def _check_account(session: Session, actor: Actor, account_id: uuid.UUID | None) -> None:
    if account_id is None:
        return
    try:
        AccountRepository(session).get(actor, account_id)
    except NotFound:
        raise ValidationFailed(
            "no account with this id that you can see", field="account_id"
        ) from None


def _check_reporting_to(
    repo: ContactRepository,
    actor: Actor,
    contact_id: uuid.UUID | None,
    reporting_to_id: uuid.UUID | None,
) -> None:
    if reporting_to_id is None:
        return
    if reporting_to_id == contact_id:
        raise ValidationFailed("a contact cannot report to themselves", field="reporting_to_id")
    try:
        repo.get(actor, reporting_to_id)
    except NotFound:
        raise ValidationFailed(
            "no contact with this id that you can see", field="reporting_to_id"
        ) from None
    if contact_id is not None and contact_id in repo.reporting_chain(reporting_to_id):
        raise ValidationFailed(
            "this contact is above the new manager in the reporting line (that would make a cycle)",
            field="reporting_to_id",
        )


def _check_email(
    repo: ContactRepository, email: str | None, exclude_id: uuid.UUID | None = None
) -> None:
    if email and repo.email_taken(email, exclude_id):
        raise Conflict(f"a contact with email {email} already exists", field="email")


def _flush(session: Session, email: str | None) -> None:
    """Flush; a twin that slipped past ``_check_email`` in a concurrent request is stopped by
    the partial unique index, and still answers 409 naming the field."""
    try:
        session.flush()
    except IntegrityError as exc:
        if EMAIL_INDEX in str(exc.orig):
            raise Conflict(f"a contact with email {email} already exists", field="email") from None
        raise


def create_contact(session: Session, actor: Actor, data: ContactCreate) -> Contact:
    if not actor.can(f"{OBJECT}:create"):
        raise PermissionDenied("you may not create contacts")
    repo = ContactRepository(session)
    values = _column_values(data, partial=False)
    owner_id = values.pop("owner_id", None) or actor.user_id
    if owner_id is not None:
        _check_owner(session, actor, owner_id, current=None)
    _check_email(repo, data.email)
    _check_account(session, actor, data.account_id)
    _check_reporting_to(repo, actor, None, data.reporting_to_id)
    contact = Contact(
        id=uuid.uuid4(),
        owner_id=owner_id,
        custom_fields=metadata.validate_values(session, OBJECT, data.custom_fields),
        **values,
    )
    session.add(contact)
    _flush(session, contact.email)
    publish(
        session,
        actor,
        "contact.created",
        record_type=OBJECT,
        record_id=contact.id,
        payload=_payload(contact),
    )
    return contact


def update_contact(
    session: Session,
    actor: Actor,
    contact_id: uuid.UUID,
    data: ContactUpdate,
    *,
    if_match: int | None = None,
) -> Contact:
    repo = ContactRepository(session)
    contact = repo.get_for(actor, contact_id, "write")
    check_version(contact, if_match)
    values = _column_values(data, partial=True)
    if values.get("email") and values["email"] != contact.email:
        _check_email(repo, values["email"], contact.id)
    if "owner_id" in values:
        new_owner = values["owner_id"]
        if new_owner is None:
            raise ValidationFailed("owner_id cannot be empty", field="owner_id")
        if new_owner != contact.owner_id:
            repo.require(actor, contact, "reassign")
            _check_owner(session, actor, new_owner, current=contact.owner_id)
    if "account_id" in values and values["account_id"] != contact.account_id:
        _check_account(session, actor, values["account_id"])
    if "reporting_to_id" in values and values["reporting_to_id"] != contact.reporting_to_id:
        _check_reporting_to(repo, actor, contact.id, values["reporting_to_id"])
    changes = apply_changes(contact, values)
    if data.custom_fields is not None:
        new_custom = metadata.validate_values(
            session, OBJECT, data.custom_fields, contact.custom_fields
        )
        for key in set(new_custom) | set(contact.custom_fields):
            if new_custom.get(key) != contact.custom_fields.get(key):
                changes[f"custom.{key}"] = (contact.custom_fields.get(key), new_custom.get(key))
        contact.custom_fields = new_custom
    if changes:
        _flush(session, contact.email)
        publish(
            session,
            actor,
            "contact.updated",
            record_type=OBJECT,
            record_id=contact.id,
            changes=changes,
            payload=_payload(contact),
        )
    return contact


def delete_contact(
    session: Session, actor: Actor, contact_id: uuid.UUID, *, if_match: int | None = None
) -> Contact:
    repo = ContactRepository(session)
    return delete_record(repo, actor, contact_id, if_match=if_match, payload=_payload)


def restore_contact(session: Session, actor: Actor, contact_id: uuid.UUID) -> Contact:
    repo = ContactRepository(session)

    def check_clash(contact: Contact) -> None:
        if contact.email and repo.email_taken(contact.email, contact.id):
            raise Conflict(
                f"another live contact has the email {contact.email}; change it first",
                field="email",
            )

    return restore_record(
        repo,
        actor,
        contact_id,
        check_clash=check_clash,
        payload=_payload,
        flush=lambda contact: _flush(session, contact.email),
    )


def get_contact(session: Session, actor: Actor, contact_id: uuid.UUID) -> Contact:
    return ContactRepository(session).get(actor, contact_id)


def list_contacts(
    session: Session, actor: Actor, query: ListQuery
) -> tuple[list[Contact], str | None]:
    repo = ContactRepository(session)
    return list_records(
        repo, actor, query, default_sort="last_name", list_contains=repo.list_contains()
    )


def list_direct_reports(
    session: Session, actor: Actor, contact_id: uuid.UUID, query: ListQuery
) -> tuple[list[Contact], str | None]:
    """The live contacts ``actor`` can read who report to ``contact_id``."""
    repo = ContactRepository(session)
    manager = repo.get(actor, contact_id)
    stmt = repo.readable(actor).where(Contact.reporting_to_id == manager.id)
    return keyset_page(
        session,
        stmt,
        query,
        repo.fields(),
        Contact.id,
        default_sort="last_name",
        list_contains=repo.list_contains(),
    )
