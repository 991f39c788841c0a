"""/api/v1/accounts: parse, call one service, shape the answer."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from nexa.account import service
from nexa.account.schemas import (
    AccountCreate,
    AccountOut,
    AccountRollup,
    AccountTreeNode,
    AccountUpdate,
)
from nexa.account.service import AccountService
from nexa.account.shape import ACCOUNTS
from nexa.api.deps import ActorDep, SessionDep
from nexa.api.records import record_router
from nexa.api.scopes import needs
from nexa.config import get_settings
from nexa.core.schemas import Money

CENT = Decimal("0.01")


router = record_router(
    prefix="/accounts",
    noun="an account",
    plural="accounts",
    service=AccountService,
    create_model=AccountCreate,
    update_model=AccountUpdate,
    out_model=AccountOut,
    shaper=ACCOUNTS,
    id_param="account_id",
    names={
        "list": "list_accounts",
        "create": "create_account",
        "get": "get_account",
        "update": "update_account",
    },
)


@router.get(
    "/{account_id}/rollup",
    response_model=AccountRollup,
    summary="Roll-ups through the hierarchy",
    openapi_extra=needs("account:read"),
)
def account_rollup(account_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> AccountRollup:
    top = service.hierarchy(session, actor, account_id)
    currencies = top["currencies"]
    revenue = (
        Money(amount=top["revenue_rolled_up"], currency=next(iter(currencies)))
        if len(currencies) == 1
        else None
    )
    return AccountRollup(
        account_id=top["id"],
        name=top["name"],
        child_accounts=len(top["children"]),
        descendant_accounts=top["descendants"],
        contacts=top["contacts"],
        contacts_rolled_up=top["contacts_rolled_up"],
        employees_rolled_up=top["employees_rolled_up"],
        annual_revenue_rolled_up=revenue,
        deal_currency=get_settings().org_currency.upper(),
        **{k: v.quantize(CENT) for k, v in top["deals"].items()},
        **{f"{k}_rolled_up": v.quantize(CENT) for k, v in top["deals_rolled_up"].items()},
    )


@router.get(
    "/{account_id}/tree",
    response_model=AccountTreeNode,
    summary="The hierarchy below an account",
    openapi_extra=needs("account:read"),
)
def account_tree(account_id: uuid.UUID, session: SessionDep, actor: ActorDep) -> AccountTreeNode:
    def node(n: dict[str, Any]) -> AccountTreeNode:
        return AccountTreeNode(
            id=n["id"],
            name=n["name"],
            account_number=n["account_number"],
            type=n["type"],
            contacts_rolled_up=n["contacts_rolled_up"],
            children=[node(c) for c in n["children"]],
        )

    return node(service.hierarchy(session, actor, account_id))
