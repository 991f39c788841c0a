"""Issue 18's acceptance walks, clicked as a person would: the manager's morning (dashboard,
forecast, at-risk deals, the team's tasks) and an account review (a parent company's page
with its subsidiaries, their totals rolled up, one subsidiary opened from the tree)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import E2E, unique

pytestmark = [pytest.mark.live, pytest.mark.browser]
# what a person must never read: enum keys, event names, permission strings, ids
RAW = re.compile(
    r"\b(closed_won|closed_lost|new_business|in_progress|demo_request|cold_call)\b"
    r"|\b(deal|lead|task)\.[a-z_]+\b|\b[a-z]+:(read|write|create|reassign)\b"
    r"|\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b"
)
FITS = "document.documentElement.scrollWidth <= window.innerWidth + 1"
WIDE = """() => { const w = window.innerWidth; const out = [];
 for (const e of document.querySelectorAll('main *')) { const r = e.getBoundingClientRect();
   if (r.right > w + 1) out.push(e.tagName + '.' + e.className + ' ' + Math.round(r.right)); }
 return [document.documentElement.scrollWidth, w, out.slice(0, 8)]; }"""


def plain(page: Any) -> None:
    text = page.locator("main").inner_text()
    found = RAW.search(text)
    assert found is None, (page.url, found.group(0) if found else None)
    assert page.evaluate(FITS), (page.url, page.evaluate(WIDE))


def test_the_managers_morning(e2e: E2E) -> None:
    u = unique()
    rep = e2e.uid("sales_rep")
    soon = (datetime.now(UTC) + timedelta(days=20)).date().isoformat()
    e2e.create("manager", "/deals", {"name": f"Morning deal {u}", "amount": "42000",
               "stage": "negotiation", "close_date": soon, "owner_id": rep})  # fmt: skip
    late = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    e2e.create("sales_rep", "/tasks", {"title": f"Chase the PO {u}", "due_at": late})
    # a 100-character name in the dashboard's lists must not push the page sideways
    e2e.create("manager", "/leads", {"first_name": "Long", "last_name": (u + "N") * 14})
    page = e2e.page("manager")
    page.goto("/")
    expect(page.get_by_test_id("dash-weighted")).to_contain_text("$")
    plain(page)
    nav = page.get_by_role("navigation", name="Main navigation")
    nav.get_by_role("link", name="Forecast").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Forecast")
    figures = page.get_by_role("region", name="Forecast figures")
    expect(figures.locator(".kpi")).to_have_count(4)
    assert (
        figures.locator(".kpi-value").first.evaluate(
            "e => parseFloat(getComputedStyle(e).fontSize)"
        )
        > 18
    )  # laid out as figures, not a list of text
    expect(page.get_by_role("heading", name="At-risk deals")).to_be_visible()
    plain(page)
    nav.get_by_role("link", name="Tasks").click()
    page.goto("/tasks/board?scope=team")
    expect(page.get_by_text(f"Chase the PO {u}")).to_be_visible()  # the team's task
    plain(page)
    page.goto("/tasks")
    row = page.locator("tr", has_text=f"Chase the PO {u}")
    expect(row.get_by_test_id("overdue")).to_be_visible()
    e2e.shot(page, "manager-tasks")


def test_an_account_review(e2e: E2E) -> None:
    u = unique()
    parent = e2e.create("admin", "/accounts", {"name": f"Acme Corporation {u}"})
    kids = [
        e2e.create("admin", "/accounts", {"name": f"Acme {place} {u}", "parent_id": parent["id"]})
        for place in ("Europe", "Asia")
    ]
    e2e.create("admin", "/deals", {"name": f"Acme EU renewal {u}", "amount": "15000",
               "account_id": kids[0]["id"], "stage": "proposal"})  # fmt: skip
    page = e2e.page("admin")
    page.goto(f"/accounts/{parent['id']}")
    tree = page.get_by_role("region", name="Account hierarchy")
    for kid in kids:
        expect(tree.get_by_role("link", name=kid["name"])).to_be_visible()
    totals = page.get_by_test_id("account-rollup")
    expect(totals.locator("[data-k=deals_total_rolled_up]")).to_contain_text("15,000")
    plain(page)
    e2e.shot(page, "account-review")
    tree.get_by_role("link", name=kids[0]["name"]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(kids[0]["name"])
    expect(page.get_by_role("region", name="Deals")).to_contain_text(f"Acme EU renewal {u}")
    plain(page)
