"""Record-page and form helpers in a browser (issue 18): the activity composer (a task, then
a note, logged from a lead's page without leaving it; the timeline shows them at once) and a
product's price filled in when it is picked on a quote."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import E2E, unique

pytestmark = [pytest.mark.live, pytest.mark.browser]


def test_log_a_task_and_a_note_without_leaving_the_record(e2e: E2E) -> None:
    u = unique()
    lead = e2e.create("sales_rep", "/leads", {"first_name": "Compose", "last_name": f"Here{u}"})
    page = e2e.page("sales_rep")
    page.goto(f"/leads/{lead['id']}")
    card = page.get_by_role("region", name="Log activity")
    card.get_by_role("tab", name="Task").click()
    expect(card.get_by_role("tab", name="Task")).to_have_attribute("aria-selected", "true")
    card.get_by_label("To do").fill(f"Call back {u}")
    card.get_by_label("Priority").select_option("high")
    card.get_by_role("button", name="Save task").click()
    expect(card.get_by_test_id("composer-saved")).to_contain_text("Task saved")
    timeline = page.locator("#timeline-card")
    expect(timeline.locator("li.t-task")).to_have_count(1)
    card.get_by_role("tab", name="Note").click()
    card.get_by_label("What happened").fill("Wants the enterprise plan")
    card.get_by_role("button", name="Save note").click()
    expect(timeline.locator("li.t-note")).to_have_count(1)
    expect(page).to_have_url(re.compile(f"/leads/{lead['id']}$"))
    e2e.shot(page, "record-composer")


def test_picking_a_product_on_a_quote_fills_its_price(e2e: E2E) -> None:
    """Issue 18 point 9: a product chosen on a quote line brings its price in the quote's
    currency into the empty unit-price input."""
    u = unique()
    prices = [{"currency": "USD", "unit_price": "345.00"}]
    e2e.create("admin", "/products", {"name": f"Priced {u}", "sku": f"P-{u}", "prices": prices})
    page = e2e.page("sales_rep")
    page.goto("/quotes/new")
    currency = page.locator("form [name=currency]").first
    if currency.evaluate("e => e.tagName") == "SELECT":
        currency.select_option("USD")
    else:
        currency.fill("USD")
    row = page.locator("table.rows-input tbody tr").first
    row.locator(".lookup-text").fill(f"Priced {u}")
    row.get_by_role("button", name=re.compile(f"Priced {u}")).click()
    expect(row.locator("input[name$='.unit_price']")).to_have_value("345.00")
