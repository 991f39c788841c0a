"""axe-core on every page type (issue 18, Accessibility): no violation whose impact is
"serious" or "critical", colour contrast (WCAG AA, axe's ``color-contrast`` rule) included.

axe-core is an npm package of the project (package.json, installed by scripts/setup.sh) read
from node_modules and injected by Playwright into a context that bypasses the app's CSP; it is
never served by the app.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.conftest import IN_CI
from tests.e2e.conftest import E2E, PHONE, unique

pytestmark = [pytest.mark.live, pytest.mark.browser]

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = ("serious", "critical")
RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations
    .filter(v => ["serious", "critical"].includes(v.impact))
    .map(v => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.length,
      where: v.nodes.slice(0, 3).map(n => n.target.join(" ") + " — " +
        (n.failureSummary || "").replace(/\\s+/g, " ").slice(0, 200)),
    }));
}"""


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """The serious and critical axe-core violations of the page once its htmx panels have
    loaded, with every disclosure (``<details>``: filters, columns, menus) open so that what
    they hide is checked too."""
    page.wait_for_function("() => !document.querySelector('.htmx-request')")
    page.evaluate("() => document.querySelectorAll('details').forEach(d => { d.open = true; })")
    page.add_script_tag(path=str(AXE))
    found: list[dict[str, Any]] = page.evaluate(RUN_AXE)
    return found


def demo_records(e2e: E2E) -> dict[str, str]:
    """A little of everything, made through the API as the e2e tests do."""
    u = unique()
    now = datetime.now(UTC)
    account = e2e.create(
        "admin",
        "/accounts",
        {"name": f"Axe Industries {u}", "industry": "Manufacturing", "type": "customer"},
    )
    contact = e2e.create(
        "admin",
        "/contacts",
        {
            "first_name": "Ada",
            "last_name": f"Access{u}",
            "email": f"ada.{u}@axe.example.com",
            "phone": "+49 30 1234567",
            "account_id": account["id"],
        },
    )
    lead = e2e.create(
        "admin",
        "/leads",
        {
            "first_name": "Lena",
            "last_name": f"Lead{u}",
            "company": f"Lead Co {u}",
            "email": f"lena.{u}@lead.example.com",
        },
    )
    deal = e2e.create(
        "admin",
        "/deals",
        {
            "name": f"Axe rollout {u}",
            "amount": "24000",
            "stage": "proposal",
            "account_id": account["id"],
            "primary_contact_id": contact["id"],
        },
    )
    e2e.create(
        "admin",
        "/deals",
        {
            "name": f"Axe won {u}",
            "amount": "9000",
            "stage": "closed_won",
            "account_id": account["id"],
        },
    )
    quote = e2e.create(
        "admin",
        "/quotes",
        {
            "deal_id": deal["id"],
            "name": f"Rollout quote {u}",
            "line_items": [{"name": "Seats", "quantity": "20", "unit_price": "1200"}],
        },
    )
    e2e.create("admin", "/products", {"name": f"Seat {u}", "sku": f"SEAT-{u}"})
    e2e.create(
        "admin",
        "/tasks",
        {
            "title": f"Send the proposal {u}",
            "due_at": (now - timedelta(days=1)).isoformat(),
            "related_type": "deal",
            "related_id": deal["id"],
        },
    )
    e2e.create(
        "admin",
        "/meetings",
        {
            "title": f"Demo {u}",
            "starts_at": (now + timedelta(days=1)).isoformat(),
            "ends_at": (now + timedelta(days=1, hours=1)).isoformat(),
        },
    )
    e2e.create("admin", "/calls", {"subject": f"Discovery {u}", "direction": "outbound"})
    e2e.create("admin", "/lists", {"name": f"Axe newsletter {u}"})
    return {
        "u": u,
        "lead": lead["id"],
        "contact": contact["id"],
        "account": account["id"],
        "deal": deal["id"],
        "quote": quote["id"],
    }


def test_no_serious_or_critical_axe_violations_on_any_page_type(e2e: E2E) -> None:
    if not AXE.exists():
        message = f"{AXE} is missing: run scripts/setup.sh (npm ci installs axe-core)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    ids = demo_records(e2e)
    lists = ("leads", "contacts", "accounts", "deals", "tasks", "meetings", "calls")
    lists += ("products", "quotes", "orders", "lists")
    urls = ["/", *(f"/{name}" for name in lists)]
    urls += [f"/{kind}s/{ids[kind]}" for kind in ("lead", "contact", "account", "deal", "quote")]
    urls += [f"/leads/{ids['lead']}/edit", f"/leads/{ids['lead']}/convert"]
    urls += ["/leads/new", "/contacts/new", "/deals/new", "/tasks/new", "/quotes/new"]
    urls += ["/meetings/new", "/calls/new", "/imports"]
    empty_board = f"/deals/board?owner={e2e.uid('support_agent')}"  # no card to tab to
    urls += [
        "/deals/board",
        empty_board,
        "/forecast",
        "/tasks/mine",
        "/tasks/board",
        "/reports/sla",
    ]
    urls += [f"/search?q=Access{ids['u']}", "/email/sent", "/notifications", "/profile"]
    urls += ["/admin", "/admin/users", "/admin/teams", "/admin/roles", "/admin/custom-fields"]
    urls += ["/admin/pipelines", "/admin/organization", "/admin/web-forms", "/admin/api-keys"]
    urls += ["/admin/ai", "/admin/routing", "/admin/webhooks", "/admin/email"]

    found: dict[str, list[dict[str, Any]]] = {}
    page = e2e.page("admin", bypass_csp=True)
    for url in urls:
        response = page.goto(url)
        assert response is not None and response.status == 200, (url, response)
        if violations := axe_violations(page):
            found[url] = violations
    # states a page takes: an inline edit refused, search suggestions, the command palette
    page.goto(f"/leads/{ids['lead']}")
    prop = page.locator("#prop-phone")
    prop.get_by_role("button", name="Edit Phone").click()
    prop.locator("input[name=phone]").fill("call me maybe")
    prop.get_by_role("button", name="Save").click()
    expect(prop.locator("[role=alert]")).to_be_visible()
    page.locator("#global-search").press_sequentially(f"Access{ids['u']}", delay=20)
    expect(page.locator("#search-results [role=option]").first).to_be_visible()
    if violations := axe_violations(page):
        found["lead: inline edit refused, search suggestions"] = violations
    page.keyboard.press("Escape")
    page.locator("main").click(position={"x": 5, "y": 5})
    page.keyboard.press("Control+k")
    expect(page.locator("#palette")).to_be_visible()
    page.keyboard.type("Lead")
    if violations := axe_violations(page):
        found["command palette"] = violations

    response = page.goto("/no-such-page")
    assert response is not None and response.status == 404
    if violations := axe_violations(page):
        found["404"] = violations
    page.set_viewport_size(PHONE)  # the phone layout: the sidebar behind the Menu button
    for url in ("/", "/leads", f"/deals/{ids['deal']}", "/deals/board"):
        page.goto(url)
        if violations := axe_violations(page):
            found[f"{url} (phone)"] = violations
    page.get_by_role("button", name="Menu").click()
    expect(page.locator("#sidebar")).to_be_visible()
    if violations := axe_violations(page):
        found["phone menu open"] = violations

    reader = e2e.page("marketer", bypass_csp=True, phone=True)  # reads deals, moves none
    response = reader.goto(f"/deals/{ids['deal']}")
    assert response is not None and response.status == 200
    if violations := axe_violations(reader):
        found["deal read by a marketer (phone)"] = violations

    signed_out = e2e.page(None, bypass_csp=True)
    signed_out.goto("/login")
    if violations := axe_violations(signed_out):
        found["/login"] = violations

    report = "\n".join(
        f"{url}: {v['impact']} {v['id']} ({v['help']}; {v['nodes']} nodes)\n    "
        + "\n    ".join(v["where"])
        for url, violations in found.items()
        for v in violations
    )
    assert not found, f"axe-core found serious or critical violations:\n{report}"


FOCUSED = r"""() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  const box = el.getBoundingClientRect();
  return {
    name: (el.getAttribute("aria-label") || el.textContent || el.id || el.tagName).trim()
      .replace(/\s+/g, " ").slice(0, 60),
    tag: el.tagName.toLowerCase(),
    outline: style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2,
    shown: box.width > 0 && box.height > 0,
  };
}"""


def test_keyboard_reaches_a_record_pages_actions_with_a_visible_focus(e2e: E2E) -> None:
    """Tab alone walks to the record's actions (edit, delete, log a call, add a note, create
    a task, an inline edit); every stop is on screen and outlined (nexa.css :focus-visible)."""
    lead = e2e.create("admin", "/leads", {"first_name": "Kim", "last_name": f"Keys{unique()}"})
    page = e2e.page("admin")
    page.goto(f"/leads/{lead['id']}")
    page.wait_for_load_state()
    wanted = {"Edit", "Delete", "Log a call", "Add a note", "Create a task", "Edit Country"}
    reached: list[str] = []
    unseen: list[str] = []
    for _ in range(150):
        page.keyboard.press("Tab")
        now = page.evaluate(FOCUSED)
        if now is None:
            continue
        reached.append(now["name"])
        if not (now["outline"] and now["shown"]):
            unseen.append(f"{now['tag']} {now['name']!r}")
        if wanted <= set(reached):
            break
    assert wanted <= set(reached), f"Tab never reached {wanted - set(reached)}; it went {reached}"
    assert not unseen, f"focused without a visible outline (or off screen): {unseen}"
