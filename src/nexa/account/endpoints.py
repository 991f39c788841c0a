"""/api/v1/accounts: parse, call one service, shape the answer."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.responses import JSONResponse

from nexa.account import service
from nexa.account.schemas import (
    AccountCreate,
    AccountOut,
    AccountRollup,
    AccountTreeNode,
    AccountUpdate,
)
from nexa.api.crud import (
    add_bin_routes,
    idempotent_create,
    parse_if_match,
    select_fields,
    with_etag,
)
from nexa.api.deps import ActorDep, ListQueryDep, SessionDep
from nexa.config import get_settings
from nexa.core.schemas import Money, Page, Problem
from nexa.models import Account

CENT = Decimal("0.01")

router = APIRouter(
    prefix="/accounts",
    tags=["accounts"],
    responses={
        401: {"model": Problem},
        403: {"model": Problem},
        404: {"model": Problem},
        422: {"model": Problem},
    },
)


def to_out(account: Account, team: list[uuid.UUID] | None = None) -> AccountOut:
    data = {c.key: getattr(account, c.key) for c in Account.__mapper__.column_attrs}
    data["annual_revenue"] = (
        Money(amount=account.annual_revenue, currency=account.annual_revenue_currency or "USD")
        if account.annual_revenue is not None
        else None
    )
    data["account_team"] = team or []
    return AccountOut.model_validate(data)


def _one(session: Any, account: Account) -> AccountOut:
    return to_out(account, service.team_members(session, [account.id]).get(account.id, []))


@router.get("", response_model=Page[dict[str, Any]], summary="List accounts")
def list_accounts(
    session: SessionDep,
    actor: ActorDep,
    query: ListQueryDep,
    deleted: Annotated[bool, Query(description="List the bin (soft-deleted) instead")] = False,
) -> dict[str, Any]:
    query.include_deleted = deleted
    rows, next_cursor = service.list_accounts(session, actor, query)
    teams = service.team_members(session, [r.id for r in rows])
    items = [
        select_fields(to_out(r, teams.get(r.id)).model_dump(mode="json"), query.fields)
        for r in rows
    ]
    return {"items": items, "next_cursor": next_cursor}


@router.post(
    "",
    response_model=AccountOut,
    status_code=201,
    summary="Create an account",
    responses={409: {"model": Problem}},
)
def create_account(
    request: Request,
    body: AccountCreate,
    session: SessionDep,
    actor: ActorDep,
    idempotency_key: Annotated[str | None, Header(max_length=255)] = None,
) -> JSONResponse:
    def create() -> tuple[AccountOut, int]:
        account = service.create_account(session, actor, body)
        return _one(session, account), account.version

    return idempotent_create(
        request, session, actor, idempotency_key, body.model_dump(mode="json"), create
    )


@router.get("/{account_id}", response_model=AccountOut, summary="Get an account")
def get_account(
    account_id: uuid.UUID, session: SessionDep, actor: ActorDep, response: Response
) -> AccountOut:
    account = service.get_account(session, actor, account_id)
    with_etag(response, account.version)
    return _one(session, account)


@router.patch(
    "/{account_id}",
    response_model=AccountOut,
    summary="Update an account",
    responses={409: {"model": Problem}, 412: {"model": Problem}},
)
def update_account(
    account_id: uuid.UUID,
    body: AccountUpdate,
    session: SessionDep,
    actor: ActorDep,
    response: Response,
    if_match: Annotated[str | None, Header(max_length=100)] = None,
) -> AccountOut:
    account = service.update_account(
        session, actor, account_id, body, if_match=parse_if_match(if_match)
    )
    with_etag(response, account.version)
    return _one(session, account)


add_bin_routes(
    router,
    noun="an account",
    out_model=AccountOut,
    delete=service.delete_account,
    restore=service.restore_account,
    to_out=_one,
)


@router.get(
    "/{account_id}/rollup", response_model=AccountRollup, summary="Roll-ups through the hierarchy"
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
    "/{account_id}/tree", response_model=AccountTreeNode, summary="The hierarchy below an account"
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
