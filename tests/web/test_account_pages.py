"""The account page: the hierarchy tree from the top ancestor down, with rolled-up totals
that match the API's roll-up, and a constant number of SQL statements."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from tests.factories.account import make_account
from tests.factories.deal import make_deal
from tests.web.conftest import count_queries, sign_in


def node_html(page: str, account_id: Any) -> str:
    """The markup of one tree node's own line (its name and totals)."""
    found = re.search(
        rf'data-account-id="{account_id}"[^>]*>\s*<div class="node">(.*?)</div>', page, re.S
    )
    assert found, page[:3000]
    return found.group(1)


def total(html: str, key: str) -> str:
    found = re.search(rf'data-k="{key}"[^>]*>(?:won |open )?([^<]*)<', html)
    assert found, html
    return found.group(1).strip()


def test_the_tree_starts_at_the_top_and_rolls_totals_up(client: Any, db: Any, users: Any) -> None:
    actor = users.admin.actor
    group = make_account(db, actor, name="Group Holding")
    europe = make_account(db, actor, name="Group Europe", parent_id=group.id)
    france = make_account(db, actor, name="Group France", parent_id=europe.id)
    asia = make_account(db, actor, name="Group Asia", parent_id=group.id)
    make_deal(db, actor, account_id=group.id, amount=Decimal("100"), stage="proposal")
    make_deal(db, actor, account_id=europe.id, amount=Decimal("1000"), stage="closed_won")
    make_deal(db, actor, account_id=france.id, amount=Decimal("250"), stage="negotiation")
    make_deal(db, actor, account_id=asia.id, amount=Decimal("4000"), stage="closed_won")
    db.commit()
    sign_in(client, users.admin)
    r = client.get(f"/accounts/{europe.id}")
    assert r.status_code == 200, r.text[:500]
    page = r.text
    assert "Account hierarchy" in page
    # the root comes first, and the current account is highlighted, not linked
    assert page.index(f'data-account-id="{group.id}"') < page.index(
        f'data-account-id="{europe.id}"'
    )
    here = node_html(page, europe.id)
    assert 'aria-current="page"' in here and "<a " not in here
    assert f'href="/accounts/{group.id}"' in node_html(page, group.id)
    assert f'href="/accounts/{france.id}"' in node_html(page, france.id)
    top = node_html(page, group.id)
    assert total(top, "deals_total") == "5,350"
    assert total(top, "closed_won_total") == "5,000"
    assert total(top, "open_pipeline") == "350"
    assert total(here, "deals_total") == "1,250"
    assert total(here, "closed_won_total") == "1,000"
    assert total(here, "open_pipeline") == "250"
    assert total(node_html(page, asia.id), "deals_total") == "4,000"
    # the roll-up card of the current account agrees with the API
    api = client.get(f"/api/v1/accounts/{europe.id}/rollup", headers=users.admin.headers).json()
    assert Decimal(api["deals_total_rolled_up"]) == Decimal("1250")
    assert total(page, "deals_total_rolled_up") == "1,250"
    assert total(page, "closed_won_total_rolled_up") == "1,000"
    totals = page[page.index('data-testid="account-rollup"') :]
    assert total(totals, "open_pipeline") == "0"  # this account alone has no open deal


def test_an_account_alone_says_so(client: Any, db: Any, users: Any) -> None:
    alone = make_account(db, users.rep.actor, name="Lonely Ltd")
    db.commit()
    sign_in(client, users.rep)
    page = client.get(f"/accounts/{alone.id}").text
    assert "No parent or child accounts." in page and 'data-testid="account-rollup"' in page


def test_a_parent_the_user_cannot_read_is_not_shown(client: Any, db: Any, users: Any) -> None:
    parent = make_account(db, users.other_rep.actor, name="Not Yours Holding")
    child = make_account(db, users.rep.actor, name="Yours Subsidiary")
    db.commit()
    from nexa.account.schemas import AccountUpdate
    from nexa.account.service import update_account

    update_account(db, users.admin.actor, child.id, AccountUpdate(parent_id=parent.id))
    db.commit()
    sign_in(client, users.rep)
    r = client.get(f"/accounts/{child.id}")
    assert r.status_code == 200
    assert "Not Yours Holding" not in r.text.split('id="hierarchy-h"')[1]


def _statements(client: Any, url: str) -> int:
    with count_queries() as statements:
        r = client.get(url)
    assert r.status_code == 200, r.text[:500]
    return len(statements)


def test_the_account_page_issues_the_same_statements_for_1_or_10_children(
    client: Any, db: Any, users: Any
) -> None:
    actor = users.admin.actor
    pages = []
    for n in (1, 10):
        top = make_account(db, actor)
        parent = make_account(db, actor, parent_id=top.id)
        for _ in range(n):
            child = make_account(db, actor, parent_id=parent.id)
            make_deal(db, actor, account_id=child.id)
        pages.append(f"/accounts/{parent.id}")
    db.commit()
    sign_in(client, users.admin)
    _statements(client, pages[0])  # warm the per-process caches
    assert _statements(client, pages[0]) == _statements(client, pages[1])


def test_the_accounts_tasks_and_notes_include_its_deals_and_contacts(
    client: Any, db: Any, users: Any
) -> None:
    """Issue 18 point 7: the onboarding tasks of a won deal show on its account's page, and
    a note on one of its contacts too — not "Tasks 0"."""
    from nexa.core.actor import SYSTEM
    from nexa.deal.stages import move_stage
    from tests.factories.contact import make_contact
    from tests.factories.note import make_note

    actor = users.rep.actor
    account = make_account(db, actor, name="Rolled Up Co")
    contact = make_contact(db, actor, account_id=account.id, last_name="Rollup")
    make_note(db, actor, body="Prefers calls after 3 pm", related_type="contact",
              related_id=contact.id)  # fmt: skip
    deal = make_deal(db, actor, account_id=account.id, name="Rolled Up Deal")
    move_stage(db, SYSTEM, deal, "closed_won")
    db.commit()
    sign_in(client, users.rep)
    page = client.get(f"/accounts/{account.id}").text
    tasks = re.search(r'>Tasks <span class="count">(\d+)\+?</span>', page)
    assert tasks and int(tasks.group(1)) >= 4, page[:200]
    assert "Kick-off call with Rolled Up Co" in page
    assert "Prefers calls after 3 pm" in page
