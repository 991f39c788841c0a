"""Accounts: the business rules, on the shared record life cycle (``RecordService``)."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from nexa.account.events import ACCOUNT_EVENTS
from nexa.account.repository import AccountRepository
from nexa.account.schemas import AccountCreate, AccountUpdate
from nexa.core.actor import Actor
from nexa.core.errors import ValidationFailed
from nexa.core.filtering import ListQuery
from nexa.core.sequence import next_value
from nexa.metadata import service as metadata
from nexa.models import Account, User
from nexa.record.service import RecordService, Unique, check_reference

OBJECT = "account"


class AccountService(RecordService[Account]):
    model = Account
    repository = AccountRepository
    label = "account"
    default_sort = "name"
    not_empty = ("type", "name")
    unique = (
        Unique(
            "name",
            "uq_accounts_name_live",
            "account",
            message="an account named '{value}' already exists",
            restore_message="another live account is named '{value}'; rename it first",
        ),
    )
    custom_fields = True
    related_fields = ("account_team",)
    announce_owner = False
    events = ACCOUNT_EVENTS
    create_denied = "you may not create accounts"
    repo: AccountRepository

    def payload(self, record: Account) -> dict[str, Any]:
        return {"name": record.name}

    def event_payload(self, verb: str, record: Account) -> dict[str, Any]:
        if verb == "created":
            return {"name": record.name, "account_number": record.account_number}
        return self.payload(record)

    def prepare(self, values: dict[str, Any], record: Account | None) -> dict[str, Any]:
        if "annual_revenue" in values:
            money = values.pop("annual_revenue")
            values["annual_revenue"] = money["amount"] if money else None
            values["annual_revenue_currency"] = money["currency"] if money else None
        for key in ("billing_address", "shipping_address"):
            if values.get(key) is not None:
                values[key] = {k: v for k, v in values[key].items() if v is not None}
        if record is None and values.get("type") is None:
            values["type"] = "prospect"
        if record is None or "parent_id" in values:
            self._check_parent(record.id if record else None, values.get("parent_id"))
        if values.get("primary_contact_id"):
            check_reference(
                self.session,
                self.actor,
                "contact",  # by name: the contact package is not imported (it imports accounts)
                values["primary_contact_id"],
                "primary_contact_id",
                message="no such contact",
            )
        return values

    def on_insert(self, values: dict[str, Any]) -> dict[str, Any]:
        values["account_number"] = f"ACC-{next_value(self.session, 'account_number'):06d}"
        return values

    def write_related(
        self, record: Account, related: dict[str, Any], *, created: bool
    ) -> dict[str, tuple[Any, Any]]:
        team = related.get("account_team")
        if team is None or (created and not team):
            return {}
        self._check_users(team, "account_team")
        if created:
            self.repo.set_team(record.id, team)
            return {}
        before = sorted(str(u) for u in self.repo.team_members([record.id]).get(record.id, []))
        after = sorted(str(u) for u in dict.fromkeys(team))
        if before == after:
            return {}
        self.repo.set_team(record.id, team)
        return {"account_team": (before, after)}

    def list_contains(self) -> Any:
        return metadata.list_contains_clause(self.session, Account.custom_fields)

    def _check_users(self, user_ids: list[uuid.UUID], field: str) -> None:
        for uid in user_ids:
            if self.session.get(User, uid) is None:
                raise ValidationFailed(f"no user {uid}", field=field)

    def _check_parent(self, account_id: uuid.UUID | None, parent_id: uuid.UUID | None) -> None:
        if parent_id is None:
            return
        self.repo.get(self.actor, parent_id)  # the parent must exist and be visible
        if account_id is not None and account_id in self.repo.parent_chain(parent_id):
            raise ValidationFailed(
                "an account cannot be its own ancestor (that would make a cycle)",
                field="parent_id",
            )


# Function-style entry points for flows (lead conversion, closed won, demo, import): each is
# the service's own life cycle, nothing more.
def create_account(session: Session, actor: Actor, data: AccountCreate) -> Account:
    return AccountService(session, actor).create(data)


def update_account(
    session: Session,
    actor: Actor,
    account_id: uuid.UUID,
    data: AccountUpdate,
    *,
    if_match: int | None = None,
) -> Account:
    return AccountService(session, actor).update(account_id, data, if_match=if_match)


def get_account(session: Session, actor: Actor, account_id: uuid.UUID) -> Account:
    return AccountService(session, actor).get(account_id)


def list_accounts(
    session: Session, actor: Actor, query: ListQuery
) -> tuple[list[Account], str | None]:
    return AccountService(session, actor).list(query)


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
