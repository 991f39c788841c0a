"""The spec's lead journey, by clicking: a prospect fills the public web form, the sales rep
finds the new lead, converts it with a deal, moves the deal across the pipeline board to
closed won, and the onboarding work appears (tasks, an order, the customer-success list)."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import E2E, unique

pytestmark = [pytest.mark.live, pytest.mark.browser]


def column(page: Any, stage: str) -> Any:
    return page.locator(f'section.stage-column[data-stage="{stage}"]')


def card_in(page: Any, stage: str, deal_id: str) -> Any:
    return column(page, stage).locator(f'article.deal-card[data-deal-id="{deal_id}"]')


def stage_of(e2e: E2E, deal_id: str) -> str:
    return str(e2e.api("sales_rep").get(f"/deals/{deal_id}").json()["stage"])


def move(page: Any, deal_id: str, stage: str) -> None:
    """The no-drag fallback every card has: a stage select and a Move button."""
    card = page.locator(f'article.deal-card[data-deal-id="{deal_id}"]')
    card.get_by_label("Move to stage").select_option(stage)
    card.get_by_role("button", name="Move").click()
    expect(card_in(page, stage, deal_id)).to_be_visible()


def drag(page: Any, e2e: E2E, deal_id: str, stage: str) -> None:
    """A real drag and drop (HTML5 drag events dispatched by Playwright)."""
    card = page.locator(f'article.deal-card[data-deal-id="{deal_id}"]')
    card.drag_to(column(page, stage))
    deadline = time.monotonic() + 8
    while stage_of(e2e, deal_id) != stage and time.monotonic() < deadline:
        page.wait_for_timeout(200)
    assert stage_of(e2e, deal_id) == stage, "dragging the card to the column did not move it"
    page.reload()
    expect(card_in(page, stage, deal_id)).to_be_visible()


def test_web_form_lead_converted_and_won_by_clicking(e2e: E2E) -> None:
    u = unique()
    company = f"Initech {u}"
    slug = f"request-demo-{u}"
    e2e.create(
        "admin",
        "/web-forms",
        {
            "name": "Request a demo",
            "slug": slug,
            "fields": [
                {"key": "first_name", "label": "First name"},
                {"key": "last_name", "label": "Last name", "required": True},
                {"key": "email", "label": "Work email", "type": "email", "required": True},
                {"key": "company", "label": "Company", "required": True},
                {"key": "description", "label": "What do you need?", "type": "textarea"},
            ],
            "assign_to_id": e2e.uid("sales_rep"),
            "success_message": f"Thank you, we will call you ({u}).",
        },
    )

    # 1. The prospect, signed out, fills the public form.
    prospect = e2e.page(None)
    prospect.goto(f"/forms/{slug}")
    prospect.get_by_label("First name").fill("Peter")
    prospect.get_by_label("Last name").fill(f"Gibbons{u}")
    prospect.get_by_label("Work email").fill(f"peter.{u}@initech.example.com")
    prospect.get_by_label("Company").fill(company)
    prospect.get_by_label("What do you need?").fill("A demo for 40 seats")
    prospect.get_by_role("button", name="Send").click()
    expect(prospect.locator("body")).to_contain_text(f"we will call you ({u})")

    # 2. The sales rep finds the new lead by searching as they type.
    page = e2e.page("sales_rep")
    page.goto("/")
    page.locator("#global-search").press_sequentially(f"Gibbons{u}", delay=20)
    page.locator("#search-results a[role=option][data-kind]", has_text=f"Gibbons{u}").click()
    expect(page).to_have_url(re.compile(r"/leads/[0-9a-f-]{36}$"))
    lead_id = page.url.rsplit("/", 1)[-1]
    expect(page.locator("h1")).to_contain_text(f"Peter Gibbons{u}")
    expect(page.locator("section.profile")).to_contain_text(f"peter.{u}@initech.example.com")

    # ... works it: a status action ...
    page.get_by_role("button", name="Mark contacted").click()
    expect(page.locator("#lead-status .pill")).to_have_text("Contacted")
    expect(page.get_by_role("button", name="Mark contacted")).to_have_count(0)
    page.wait_for_load_state("load")

    # 3. ... and opens the Convert dialog, which says what will be created.
    page.locator('[data-action="convert"]').click()
    dialog = page.locator("dialog#convert-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.locator('[data-plan="contact"]')).to_have_attribute("data-outcome", "create")
    expect(dialog.locator('[data-plan="account"]')).to_have_attribute("data-outcome", "create")
    expect(dialog.locator('[data-plan="account"]')).to_contain_text(company)
    expect(dialog.locator('[data-plan="deal"]')).to_have_attribute("data-outcome", "create")
    expect(dialog.locator("input[name=create_deal]")).to_be_checked()
    e2e.shot(page, "lead-convert-dialog")
    # Escape closes it and gives the focus back to the Convert button; it opens again.
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    assert page.evaluate("document.activeElement.dataset.action") == "convert"
    page.keyboard.press("Enter")
    expect(dialog).to_be_visible()
    expect(dialog.locator('[data-plan="deal"]')).to_have_attribute("data-outcome", "create")
    dialog.locator("input[name=deal_name]").fill(f"Initech seats {u}")
    dialog.locator("input[name=deal_amount]").fill("24000")
    dialog.locator("select[name=deal_stage]").select_option("prospecting")
    dialog.get_by_role("button", name="Convert lead").click()
    expect(page).to_have_url(re.compile(r"/deals/[0-9a-f-]{36}$"))
    deal_id = page.url.rsplit("/", 1)[-1]
    expect(page.locator("h1")).to_contain_text(f"Initech seats {u}")
    lead = e2e.api("sales_rep").get(f"/leads/{lead_id}").json()
    assert lead["status"] == "converted"
    assert lead["converted_deal_id"] == deal_id
    account_id = lead["converted_account_id"]

    # 4. The pipeline board: stage by stage to closed won.
    page.goto("/deals/board")
    expect(card_in(page, "prospecting", deal_id)).to_be_visible()
    move(page, deal_id, "qualification")
    drag(page, e2e, deal_id, "proposal")
    move(page, deal_id, "negotiation")
    move(page, deal_id, "closed_won")
    assert stage_of(e2e, deal_id) == "closed_won"

    # 5. The closed-won flow: onboarding tasks on the deal and in My tasks, an order, the
    #    account is a customer on the customer-success handoff list.
    page.goto(f"/deals/{deal_id}")
    tasks = page.locator("section.related").filter(
        has=page.get_by_role("heading", name=re.compile("^Tasks"))
    )
    expect(tasks).to_contain_text(f"Welcome email to {company}")
    expect(tasks).to_contain_text(f"Kick-off call with {company}")
    orders = page.locator("section.related").filter(
        has=page.get_by_role("heading", name=re.compile("^Orders"))
    )
    expect(orders.locator("li")).to_have_count(1)

    page.goto("/tasks/mine")
    expect(page.locator("main")).to_contain_text(f"Welcome email to {company}")

    page.goto(f"/accounts/{account_id}")
    expect(page.locator("h1")).to_contain_text(company)
    expect(page.locator("main")).to_contain_text("Customer success handoff")
    expect(page.locator("#prop-type")).to_contain_text("Customer")

    page.goto(f"/leads/{lead_id}")
    expect(page.locator("[data-became=deal]")).to_contain_text(f"Initech seats {u}")
