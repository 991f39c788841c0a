"""A sales rep cannot see or open another team's private records: not by URL, not in the
lists, the board, the search or the lookups. (Org-wide visibility is ``private``.)"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import E2E, unique

pytestmark = [pytest.mark.live, pytest.mark.browser]


def test_a_rep_cannot_reach_another_teams_private_records(e2e: E2E) -> None:
    u = unique()
    r = e2e.api("admin").put(
        "/settings/visibility", json={"lead": "private", "account": "private", "deal": "private"}
    )
    assert r.status_code == 200, r.text
    secret = f"Secret{u}"
    lead = e2e.create(
        "other_rep",
        "/leads",
        {"first_name": "Hidden", "last_name": secret, "company": f"{secret} Corp"},
    )
    account = e2e.create("other_rep", "/accounts", {"name": f"{secret} Account"})
    deal = e2e.create(
        "other_rep",
        "/deals",
        {"name": f"{secret} deal", "amount": "999", "account_id": account["id"]},
    )
    records = {"leads": lead["id"], "accounts": account["id"], "deals": deal["id"]}

    # The control: their owner sees them.
    owner = e2e.page("other_rep")
    for path, rid in records.items():
        response = owner.goto(f"/{path}/{rid}")
        assert response is not None and response.status == 200, (path, response)
        expect(owner.locator("h1")).to_contain_text(secret)

    rep = e2e.page("sales_rep")
    # By URL: the record page, its edit form, an inline field, the timeline, the dialog.
    urls = [f"/{path}/{rid}" for path, rid in records.items()]
    urls += [f"/{path}/{rid}/edit" for path, rid in records.items()]
    urls += [
        f"/leads/{lead['id']}/field/company?edit=1",
        f"/leads/{lead['id']}/timeline",
        f"/leads/{lead['id']}/convert",
    ]
    for url in urls:
        response = rep.goto(url)
        assert response is not None and response.status in (403, 404), (url, response.status)
        assert secret not in rep.content(), url

    # Lists, the board, search (as you type and the full page), lookups.
    for path, field in (("leads", "last_name"), ("accounts", "name"), ("deals", "name")):
        rep.goto(f"/{path}")
        expect(rep.locator("main")).not_to_contain_text(secret)
        rep.goto(f"/{path}?f={field}:contains:{secret}")
        expect(rep.locator("table.records tbody")).to_contain_text("match")
    rep.goto("/deals/board")
    expect(rep.locator(f'article.deal-card[data-deal-id="{deal["id"]}"]')).to_have_count(0)
    expect(rep.locator("main")).not_to_contain_text(secret)

    rep.locator("#global-search").press_sequentially(secret, delay=20)
    expect(rep.locator("#search-results")).to_contain_text(re.compile("No match"))
    expect(rep.locator("#search-results a", has_text=secret)).to_have_count(0)
    rep.goto(f"/search?q={secret}")
    expect(rep.locator("main")).to_contain_text("0 results")
    for target in ("leads", "accounts", "deals", "records"):
        rep.goto(f"/lookup/{target}?q={secret}")
        assert secret not in rep.content(), target

    # And the admin does find it (the search above would have found it).
    admin = e2e.page("admin")
    admin.goto(f"/search?q={secret}")
    expect(admin.locator("main")).to_contain_text(f"{secret} deal")
    expect(admin.locator("main")).to_contain_text(f"{secret} Account")
