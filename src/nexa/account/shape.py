"""What of an account leaves the service (API, web, export, events): see record/shapes.py."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from nexa.account import service
from nexa.account.schemas import AccountOut
from nexa.core.schemas import Money
from nexa.core.text import script_flags
from nexa.models import Account
from nexa.record.shapes import Shaper, register


def account_out(account: Account, team: list[uuid.UUID] | None = None) -> AccountOut:
    data = {c.key: getattr(account, c.key) for c in Account.__mapper__.column_attrs}
    data["annual_revenue"] = (
        Money(amount=account.annual_revenue, currency=account.annual_revenue_currency or "USD")
        if account.annual_revenue is not None
        else None
    )
    data["account_team"] = team or []
    data["flags"] = script_flags({"name": account.name})
    return AccountOut.model_validate(data)


def _one(session: Session, account: Account) -> AccountOut:
    return account_out(account, service.team_members(session, [account.id]).get(account.id, []))


def _page(session: Session, accounts: list[Account]) -> list[AccountOut]:
    """A page's account teams in one query."""
    teams = service.team_members(session, [a.id for a in accounts])
    return [account_out(a, teams.get(a.id)) for a in accounts]


ACCOUNTS = register(Shaper("account", AccountOut, to_out=_one, to_page=_page))
