"""The notification centre in a browser (issue 18, point 5): a rep's items are grouped under
"Today", "Mark read" and "Mark all read" change the list in place (htmx, no reload), and an
item opens its record. At phone width too."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from tests.e2e.conftest import unique


def test_a_rep_reads_their_notifications_in_place_and_opens_one(e2e: Any) -> None:
    u = unique()
    rep = e2e.uid("sales_rep")
    assert e2e.api("sales_rep").post("/notifications/read-all").status_code == 200  # a clean slate
    leads = [
        e2e.create("admin", "/leads", {"first_name": "Nora", "last_name": f"Notify{u}{i}",
                                       "company": f"Notice Co {u}{i}", "owner_id": rep})
        for i in range(2)
    ]  # fmt: skip
    page = e2e.page("sales_rep", phone=True)
    page.goto("/notifications")
    today = page.locator("section.notif-day", has_text="Today")
    first = today.locator("li.notif-item", has_text=f"Notify{u}0")
    second = today.locator("li.notif-item", has_text=f"Notify{u}1")
    expect(first).to_have_class("notif-item unread")
    page.evaluate("document.body.dataset.loaded = 'yes'")  # gone if the page reloads
    expect(page.locator("#notif-count")).to_have_text("2 unread notifications.")
    first.get_by_role("button", name="Mark read").click()
    expect(first).to_have_class("notif-item")
    expect(second).to_have_class("notif-item unread")
    expect(page.locator("#notif-count")).to_have_text("1 unread notification.")
    expect(page.locator("#unread")).to_have_text("1")
    e2e.shot(page, "notifications-phone")
    page.get_by_role("button", name="Mark all read").click()
    expect(page.locator("#notifications")).to_contain_text("All caught up.")
    expect(second).to_have_class("notif-item")
    expect(page.locator("#unread")).to_have_text("0")
    assert page.evaluate("document.body.dataset.loaded") == "yes"
    second.get_by_role("button", name=f"New lead Nora Notify{u}1 assigned to you").click()
    expect(page).to_have_url(f"{e2e.base}/leads/{leads[1]['id']}")
