"""Query-count baselines of the generic pages: a list page with 1 row costs what a list page
with 25 rows costs, and a record page with 1 related record and timeline entry costs what
one with 10 costs (no query per row)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest

from nexa.core.actor import SYSTEM
from tests.factories.account import make_account
from tests.factories.call import make_call
from tests.factories.contact import make_contact
from tests.factories.deal import make_deal
from tests.factories.lead import make_lead
from tests.factories.meeting import make_meeting
from tests.factories.note import make_note
from tests.factories.order import make_order
from tests.factories.product import make_product
from tests.factories.quote import make_quote
from tests.factories.segment import make_list
from tests.factories.task import make_task
from tests.web.conftest import count_queries, sign_in


def _makers(db: Any, owner: Any) -> dict[str, Callable[[], Any]]:
    actor = owner.actor

    def account() -> Any:
        return make_account(db, SYSTEM, owner_id=owner.id, parent_id=None)

    def contact() -> Any:
        return make_contact(db, actor, account_id=account().id)

    def deal() -> Any:
        return make_deal(db, SYSTEM, owner_id=owner.id, account_id=account().id)

    return {
        "leads": lambda: make_lead(db, actor, company=f"Co {uuid.uuid4().hex[:6]}"),
        "contacts": contact,
        "accounts": account,
        "deals": deal,
        "tasks": lambda: make_task(db, actor, related_type="account", related_id=account().id),
        "meetings": lambda: make_meeting(db, actor),
        "calls": lambda: make_call(db, actor),
        "notes": lambda: make_note(db, actor, related_type="account", related_id=account().id),
        "products": lambda: make_product(db, SYSTEM),
        "quotes": lambda: make_quote(db, SYSTEM, owner_id=owner.id),
        "orders": lambda: make_order(db, SYSTEM, owner_id=owner.id),
        "lists": lambda: make_list(db, SYSTEM, owner_id=owner.id),
    }


PATHS = [
    "leads",
    "contacts",
    "accounts",
    "deals",
    "tasks",
    "meetings",
    "calls",
    "notes",
    "products",
    "quotes",
    "orders",
    "lists",
]


@pytest.mark.parametrize("path", PATHS)
def test_a_list_page_of_25_rows_costs_what_a_page_of_1_costs(
    client: Any, db: Any, users: Any, path: str
) -> None:
    person = users.admin
    make = _makers(db, person)[path]
    make()
    db.commit()
    sign_in(client, person)
    client.get(f"/{path}")  # warm per-process caches (templates, settings)
    with count_queries() as one:
        r = client.get(f"/{path}")
    assert r.status_code == 200
    for _ in range(24):
        make()
    db.commit()
    with count_queries() as many:
        r = client.get(f"/{path}")
    assert r.status_code == 200
    assert len(one) == len(many), (len(one), len(many))


@pytest.mark.parametrize("path", ["leads", "contacts", "accounts", "deals"])
def test_a_record_page_with_10_related_records_costs_what_one_with_1_costs(
    client: Any, db: Any, users: Any, path: str
) -> None:
    person = users.admin
    record = _makers(db, person)[path]()
    name = path[:-1]
    actor = person.actor

    def relate() -> None:
        make_task(db, actor, related_type=name, related_id=record.id)
        make_note(db, actor, related_type=name, related_id=record.id)
        make_call(db, actor, related_type=name, related_id=record.id)

    relate()
    db.commit()
    sign_in(client, person)
    client.get(f"/{path}/{record.id}")
    with count_queries() as one:
        r = client.get(f"/{path}/{record.id}")
    assert r.status_code == 200
    for _ in range(9):
        relate()
    db.commit()
    with count_queries() as many:
        r = client.get(f"/{path}/{record.id}")
    assert r.status_code == 200
    assert len(one) == len(many), (len(one), len(many))
