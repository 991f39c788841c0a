"""Accounts: the business rules. Every function takes the session and the acting user."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from nexa.account.repository import AccountRepository
from nexa.account.schemas import AccountCreate, AccountUpdate
from nexa.core.actor import Actor
from nexa.core.errors import Conflict, PermissionDenied, ValidationFailed
from nexa.core.events import declare, publish
from nexa.core.filtering import ListQuery
from nexa.core.ownership import check_owner
from nexa.core.records import (
    apply_changes,
    check_version,
    delete_record,
    list_records,
    restore_record,
)
from nexa.core.sequence import next_value
from nexa.metadata import service as metadata
from nexa.models import Account, User

declare("account.created", permission="account:read", description="An account was created")
declare("account.updated", permission="account:read", description="An account's fields changed")
declare("account.deleted", permission="account:read", description="An account was moved to the bin")
declare("account.restored", permission="account:read", description="An account was restored")

OBJECT = "account"


def _column_values(data: AccountCreate | AccountUpdate, *, partial: bool) -> dict[str, Any]:
    raw = data.model_dump(
        exclude_unset=partial, exclude={"custom_fields", "account_team", "annual_revenue"}
    )
    if "annual_revenue" in data.model_fields_set or not partial:
        money = data.annual_revenue
        raw["annual_revenue"] = money.amount if money else None
        raw["annual_revenue_currency"] = money.currency if money else None
    for key in ("billing_address", "shipping_address"):
        if key in raw and raw[key] is not None:
            raw[key] = {k: v for k, v in raw[key].items() if v is not None}
    if "type" in raw and raw["type"] is None:
        if partial:
            raise ValidationFailed("type cannot be empty", field="type")
        raw["type"] = "prospect"
    return raw


def _check_owner(
    session: Session, actor: Actor, owner_id: uuid.UUID, *, current: uuid.UUID | None
) -> None:
    check_owner(
        actor, OBJECT, owner_id, current=current, load_user=lambda uid: session.get(User, uid)
    )


def _check_users(session: Session, user_ids: list[uuid.UUID], field: str) -> None:
    for uid in user_ids:
        if session.get(User, uid) is None:
            raise ValidationFailed(f"no user {uid}", field=field)


def _check_parent(
    repo: AccountRepository, actor: Actor, account_id: uuid.UUID | None, parent_id: uuid.UUID | None
) -> None:
    if parent_id is None:
        return
    repo.get(actor, parent_id)  # the parent must exist and be visible
    if account_id is not None and account_id in repo.parent_chain(parent_id):
        raise ValidationFailed(
            "an account cannot be its own ancestor (that would make a cycle)", field="parent_id"
        )


def create_account(session: Session, actor: Actor, data: AccountCreate) -> Account:
    if not actor.can(f"{OBJECT}:create"):
        raise PermissionDenied("you may not create accounts")
    repo = AccountRepository(session)
    values = _column_values(data, partial=False)
    owner_id = values.pop("owner_id", None) or actor.user_id
    if owner_id is not None:
        _check_owner(session, actor, owner_id, current=None)
    if repo.name_taken(data.name):
        raise Conflict(f"an account named '{data.name}' already exists", field="name")
    _check_parent(repo, actor, None, data.parent_id)
    if data.primary_contact_id is not None:
        _check_primary_contact(session, actor, data.primary_contact_id)
    account = Account(
        id=uuid.uuid4(),
        account_number=f"ACC-{next_value(session, 'account_number'):06d}",
        owner_id=owner_id,
        custom_fields=metadata.validate_values(session, OBJECT, data.custom_fields),
        **values,
    )
    session.add(account)
    session.flush()
    if data.account_team:
        _check_users(session, data.account_team, "account_team")
        repo.set_team(account.id, data.account_team)
    publish(
        session,
        actor,
        "account.created",
        record_type=OBJECT,
        record_id=account.id,
        payload={"name": account.name, "account_number": account.account_number},
    )
    return account


def _check_primary_contact(session: Session, actor: Actor, contact_id: uuid.UUID) -> None:
    from nexa.contact.repository import ContactRepository

    try:
        ContactRepository(session).get(actor, contact_id)
    except Exception:
        raise ValidationFailed("no such contact", field="primary_contact_id") from None


def update_account(
    session: Session,
    actor: Actor,
    account_id: uuid.UUID,
    data: AccountUpdate,
    *,
    if_match: int | None = None,
) -> Account:
    repo = AccountRepository(session)
    account = repo.get_for(actor, account_id, "write")
    check_version(account, if_match)
    values = _column_values(data, partial=True)
    if "name" in values:
        if values["name"] is None:
            raise ValidationFailed("name cannot be empty", field="name")
        if values["name"].lower() != account.name.lower() and repo.name_taken(
            values["name"], account.id
        ):
            raise Conflict(f"an account named '{values['name']}' already exists", field="name")
    if "owner_id" in values:
        new_owner = values["owner_id"]
        if new_owner is None:
            raise ValidationFailed("owner_id cannot be empty", field="owner_id")
        if new_owner != account.owner_id:
            repo.require(actor, account, "reassign")
            _check_owner(session, actor, new_owner, current=account.owner_id)
    if "parent_id" in values:
        _check_parent(repo, actor, account.id, values["parent_id"])
    if values.get("primary_contact_id"):
        _check_primary_contact(session, actor, values["primary_contact_id"])
    changes = apply_changes(account, values)
    if data.custom_fields is not None:
        new_custom = metadata.validate_values(
            session, OBJECT, data.custom_fields, account.custom_fields
        )
        for key in set(new_custom) | set(account.custom_fields):
            if new_custom.get(key) != account.custom_fields.get(key):
                changes[f"custom.{key}"] = (account.custom_fields.get(key), new_custom.get(key))
        account.custom_fields = new_custom
    if data.account_team is not None:
        _check_users(session, data.account_team, "account_team")
        before = sorted(str(u) for u in repo.team_members([account.id]).get(account.id, []))
        after = sorted(str(u) for u in dict.fromkeys(data.account_team))
        if before != after:
            repo.set_team(account.id, data.account_team)
            changes["account_team"] = (before, after)
    if changes:
        session.flush()
        publish(
            session,
            actor,
            "account.updated",
            record_type=OBJECT,
            record_id=account.id,
            changes=changes,
            payload={"name": account.name},
        )
    return account


def _payload(account: Account) -> dict[str, Any]:
    return {"name": account.name}


def delete_account(
    session: Session, actor: Actor, account_id: uuid.UUID, *, if_match: int | None = None
) -> Account:
    repo = AccountRepository(session)
    return delete_record(repo, actor, account_id, if_match=if_match, payload=_payload)


def restore_account(session: Session, actor: Actor, account_id: uuid.UUID) -> Account:
    repo = AccountRepository(session)

    def check_clash(account: Account) -> None:
        if repo.name_taken(account.name, account.id):
            raise Conflict(
                f"another live account is named '{account.name}'; rename it first", field="name"
            )

    return restore_record(repo, actor, account_id, check_clash=check_clash, payload=_payload)


def get_account(session: Session, actor: Actor, account_id: uuid.UUID) -> Account:
    return AccountRepository(session).get(actor, account_id)


def list_accounts(
    session: Session, actor: Actor, query: ListQuery
) -> tuple[list[Account], str | None]:
    return list_records(
        AccountRepository(session),
        actor,
        query,
        default_sort="name",
        list_contains=metadata.list_contains_clause(session, Account.custom_fields),
    )


def team_members(
    session: Session, account_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[uuid.UUID]]:
    return AccountRepository(session).team_members(account_ids)


def hierarchy(session: Session, actor: Actor, account_id: uuid.UUID) -> dict[str, Any]:
    """The tree below an account with roll-ups computed bottom-up over what ``actor`` sees."""
    repo = AccountRepository(session)
    root = repo.get(actor, account_id)
    rows = repo.subtree_rows(actor, root.id)
    nodes: dict[uuid.UUID, dict[str, Any]] = {}
    for row in rows:
        rid, parent, name, number, typ, employees, revenue, currency, n_contacts = row[:9]
        deals_total, won, open_amount, open_weighted = (Decimal(str(v or 0)) for v in row[9:13])
        nodes[rid] = {
            "deals": {
                "deals_total": deals_total,
                "closed_won_total": won,
                "open_pipeline": open_amount,
                "open_weighted": open_weighted,
            },
            "id": rid,
            "parent_id": parent,
            "name": name,
            "account_number": number,
            "type": typ,
            "contacts": int(n_contacts),
            "employees": employees or 0,
            "revenue": Decimal(revenue or 0),
            "currency": currency,
            "children": [],
        }
    for node in nodes.values():
        parent = nodes.get(node["parent_id"]) if node["id"] != root.id else None
        if parent is not None:
            parent["children"].append(node)

    def roll(node: dict[str, Any]) -> None:
        node["children"].sort(key=lambda c: c["name"].lower())
        node["contacts_rolled_up"] = node["contacts"]
        node["employees_rolled_up"] = node["employees"]
        node["revenue_rolled_up"] = node["revenue"]
        node["descendants"] = 0
        node["currencies"] = {node["currency"]} if node["currency"] else set()
        node["deals_rolled_up"] = dict(node["deals"])
        for child in node["children"]:
            roll(child)
            for key, value in child["deals_rolled_up"].items():
                node["deals_rolled_up"][key] += value
            node["contacts_rolled_up"] += child["contacts_rolled_up"]
            node["employees_rolled_up"] += child["employees_rolled_up"]
            node["revenue_rolled_up"] += child["revenue_rolled_up"]
            node["descendants"] += 1 + child["descendants"]
            node["currencies"] |= child["currencies"]

    top = nodes[root.id]
    roll(top)
    return top
