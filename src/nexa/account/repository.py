"""All of the accounts' SQL."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import case, delete, func, literal, select

from nexa.core.actor import Actor
from nexa.core.filtering import FieldSpec
from nexa.core.records import model_fields
from nexa.core.repository import REPOSITORIES, RecordTeamMember, Repository, unscoped
from nexa.metadata import service as metadata
from nexa.models import Account, Contact, Deal
from nexa.models.account import ACCOUNT_TIERS, ACCOUNT_TYPES
from nexa.segment.repository import membership_field

KINDS = {
    "id": "uuid",
    "name": "str",
    "account_number": "str",
    "industry": "str",
    "type": "enum",
    "website": "str",
    "phone": "str",
    "employees": "int",
    "annual_revenue": "decimal",
    "annual_revenue_currency": "str",
    "tier": "enum",
    "parent_id": "uuid",
    "owner_id": "uuid",
    "health_score": "int",
    "created_at": "datetime",
    "updated_at": "datetime",
}
SORTABLE = {
    "id",
    "name",
    "account_number",
    "industry",
    "employees",
    "annual_revenue",
    "created_at",
    "updated_at",
    "health_score",
}


class AccountRepository(Repository[Account]):
    model = Account
    object_name = "account"

    def fields(self) -> dict[str, FieldSpec]:
        specs = model_fields(
            Account, KINDS, SORTABLE, {"type": ACCOUNT_TYPES, "tier": ACCOUNT_TIERS}
        )
        specs.update(metadata.filter_specs(self.session, "account", Account.custom_fields))
        specs["list"] = membership_field(self)  # list:eq:<list id> (nexa.segment)
        return specs

    def parent_chain(self, account_id: uuid.UUID) -> list[uuid.UUID]:
        """Ids from ``account_id`` up to the root (system view: cycle checks see everything)."""
        chain, seen = [], set()
        current: uuid.UUID | None = account_id
        while current is not None and current not in seen:
            seen.add(current)
            chain.append(current)
            current = self.session.scalar(
                unscoped(select(Account.parent_id).where(Account.id == current))
            )
        return chain

    def team_members(self, account_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[uuid.UUID]]:
        if not account_ids:
            return {}
        rows = self.session.execute(
            select(RecordTeamMember.record_id, RecordTeamMember.user_id).where(
                RecordTeamMember.record_type == "account",
                RecordTeamMember.record_id.in_(account_ids),
            )
        ).all()
        result: dict[uuid.UUID, list[uuid.UUID]] = {}
        for record_id, user_id in rows:
            result.setdefault(record_id, []).append(user_id)
        return result

    def set_team(self, account_id: uuid.UUID, user_ids: list[uuid.UUID]) -> None:
        self.session.execute(
            delete(RecordTeamMember).where(
                RecordTeamMember.record_type == "account", RecordTeamMember.record_id == account_id
            )
        )
        for uid in dict.fromkeys(user_ids):
            self.session.add(
                RecordTeamMember(record_type="account", record_id=account_id, user_id=uid)
            )
        self.session.flush()

    def subtree_rows(self, actor: Actor, root_id: uuid.UUID) -> list[Any]:
        """Every readable account at or below ``root_id``, with its own contact count
        and employees / revenue, in one recursive query."""
        tree = (
            select(Account.id, Account.parent_id)
            .where(Account.id == root_id, Account.deleted_at.is_(None))
            .cte("tree", recursive=True)
        )
        tree = tree.union_all(
            select(Account.id, Account.parent_id)
            .join(tree, Account.parent_id == tree.c.id)
            .where(Account.deleted_at.is_(None))
        )
        contacts = (  # counted for the subtree's accounts only (ix_contacts_account_id)
            select(Contact.account_id, func.count().label("n"))
            .where(Contact.account_id.in_(select(tree.c.id)), Contact.deleted_at.is_(None))
            .group_by(Contact.account_id)
            .subquery()
        )
        deals = self._deal_totals(actor, select(tree.c.id))
        stmt = (
            select(
                Account.id,
                Account.parent_id,
                Account.name,
                Account.account_number,
                Account.type,
                Account.employees,
                Account.annual_revenue,
                Account.annual_revenue_currency,
                func.coalesce(contacts.c.n, 0),
                func.coalesce(deals.c.total, 0),
                func.coalesce(deals.c.won, 0),
                func.coalesce(deals.c.open, 0),
                func.coalesce(deals.c.weighted, 0),
            )
            .join(tree, tree.c.id == Account.id)
            .outerjoin(contacts, contacts.c.account_id == Account.id)
            .outerjoin(deals, deals.c.account_id == Account.id)
            .where(self.visibility_clause(actor))
        )
        return list(self.session.execute(unscoped(stmt)).all())

    def _deal_totals(self, actor: Actor, account_ids: Any) -> Any:
        """Per account: org-currency totals of the live deals ``actor`` may read (all, closed
        won, open, open weighted), as a subquery to join."""
        deal_repo = REPOSITORIES["deal"](self.session)
        zero = literal(0)
        return (
            select(
                Deal.account_id,
                func.sum(func.coalesce(Deal.amount_org, zero)).label("total"),
                func.sum(
                    case((Deal.stage_kind == "won", func.coalesce(Deal.amount_org, zero)), else_=0)
                ).label("won"),
                func.sum(
                    case((Deal.stage_kind == "open", func.coalesce(Deal.amount_org, zero)), else_=0)
                ).label("open"),
                func.sum(
                    case(
                        (Deal.stage_kind == "open", func.coalesce(Deal.weighted_value, zero)),
                        else_=0,
                    )
                ).label("weighted"),
            )
            .where(
                Deal.account_id.in_(account_ids),
                Deal.deleted_at.is_(None),
                deal_repo.visibility_clause(actor),
            )
            .group_by(Deal.account_id)
            .subquery()
        )
