"""The account page: the hierarchy as a tree from the top ancestor the user can read down,
the current account highlighted, with rolled-up deal totals per node (the same service as
GET /api/v1/accounts/{id}/tree and /rollup: one recursive query for the whole tree)."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy.orm import Session

from nexa.account import service as account_service
from nexa.config import get_settings
from nexa.core.actor import Actor
from nexa.core.errors import NotFound, PermissionDenied
from nexa.web.generic import ObjectView, object_view

router = APIRouter()
MAX_DEPTH = 12  # ancestors looked up, one query each (hierarchies are shallow)


def top_ancestor(session: Session, actor: Actor, account: Any) -> Any:
    """The highest ancestor reachable through accounts ``actor`` can read."""
    top, seen = account, {account.id}
    for _ in range(MAX_DEPTH):
        parent_id: uuid.UUID | None = top.parent_id
        if parent_id is None or parent_id in seen:
            break
        try:
            top = account_service.get_account(session, actor, parent_id)
        except (NotFound, PermissionDenied):
            break
        seen.add(top.id)
    return top


def _find(node: dict[str, Any], wanted: uuid.UUID) -> dict[str, Any] | None:
    stack = [node]
    while stack:
        current = stack.pop()
        if current["id"] == wanted:
            return current
        stack.extend(current["children"])
    return None


@object_view("account")
class AccountView(ObjectView):
    template = "account/detail.html"

    def get_extra_context(
        self, request: Request, session: Session, actor: Actor, record: Any, row: dict[str, Any]
    ) -> dict[str, Any]:
        top = top_ancestor(session, actor, record)
        tree = account_service.hierarchy(session, actor, top.id)
        here = _find(tree, record.id)
        if here is None:  # not reachable from the top (should not happen): its own tree
            tree = here = account_service.hierarchy(session, actor, record.id)
        return {
            "tree": tree,
            "current_node": here,
            "has_hierarchy": bool(tree["children"]) or tree["id"] != record.id,
            "deal_currency": get_settings().org_currency.upper(),
        }
