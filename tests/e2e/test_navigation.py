"""The sidebar by area (desktop and a 390 px phone), the keyboard (/ search, arrow keys in
the suggestions, ? help, Ctrl+K palette) and 100-character names at phone width."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.conftest import E2E, PHONE, unique

FITS = "document.documentElement.scrollWidth <= window.innerWidth + 1"


def test_sidebar_groups_current_place_folding_recent_and_the_phone_drawer(e2e: E2E) -> None:
    u = unique()
    lead = e2e.create("admin", "/leads", {"first_name": "Recent", "last_name": f"Visit{u}"})
    page = e2e.page("admin")
    page.goto("/deals/board")
    nav = page.get_by_role("navigation", name="Main navigation")
    for area in ("Sales", "Activities", "Marketing", "Insights", "Admin"):
        expect(nav.get_by_role("button", name=area)).to_be_visible()
    current = nav.locator("a[aria-current=page]")
    expect(current).to_have_count(1)
    expect(current).to_have_text("Pipeline")
    # a folded group stays folded on the next page
    nav.get_by_role("button", name="Activities").click()
    expect(nav.get_by_role("link", name="Meetings")).to_be_hidden()
    page.goto("/leads")
    expect(nav.get_by_role("button", name="Activities")).to_have_attribute("aria-expanded", "false")
    expect(nav.get_by_role("link", name="Meetings")).to_be_hidden()
    expect(nav.locator("a[aria-current=page]")).to_have_text("Leads")
    nav.get_by_role("button", name="Activities").click()
    expect(nav.get_by_role("link", name="Meetings")).to_be_visible()
    # the record pages opened are listed under Recent
    page.goto(f"/leads/{lead['id']}")
    page.goto("/contacts")
    recent = nav.locator("#nav-recent")
    expect(recent.get_by_role("link", name=re.compile(f"Visit{u}"))).to_be_visible()
    # a rep sees neither Admin nor links it may not open
    rep = e2e.page("sales_rep")
    rep.goto("/leads")
    rep_nav = rep.get_by_role("navigation", name="Main navigation")
    expect(rep_nav).not_to_contain_text("Admin")
    expect(rep_nav.get_by_role("link", name="Leads")).to_be_visible()
    # at 390 px the sidebar is a drawer behind Menu, and nothing scrolls sideways
    phone = e2e.page("admin", phone=True)
    phone.goto("/leads")
    drawer = phone.get_by_role("navigation", name="Main navigation")
    expect(drawer).to_be_hidden()
    assert phone.evaluate(FITS), phone.evaluate("document.documentElement.scrollWidth")
    phone.get_by_role("button", name="Menu").click()
    expect(drawer).to_be_visible()
    assert phone.evaluate(FITS)
    phone.mouse.click(PHONE["width"] - 10, 400)  # beside the drawer
    expect(drawer).to_be_hidden()
    expect(phone).to_have_url(re.compile(r"/leads$"))
    phone.get_by_role("button", name="Menu").click()
    expect(drawer).to_be_visible()
    e2e.shot(phone, "navigation-drawer-phone")
    drawer.get_by_role("link", name="Accounts").click()
    expect(phone).to_have_url(re.compile(r"/accounts$"))
    expect(drawer).to_be_hidden()
    e2e.shot(page, "navigation-desktop")
    # an unknown address: the UI's own 404 page, with the sidebar
    response = page.goto("/no/such/page")
    assert response is not None and response.status == 404
    expect(page.locator("h1")).to_have_text("Page not found")
    expect(nav.get_by_role("link", name="Leads")).to_be_visible()
    e2e.shot(page, "error-404")


def test_keyboard_search_suggestions_help_and_command_palette(e2e: E2E) -> None:
    u = unique()
    lead = e2e.create("admin", "/leads", {"first_name": "Keyed", "last_name": f"Board{u}"})
    page = e2e.page("admin")
    page.goto("/")
    page.locator("body").press("/")
    expect(page.locator("#global-search")).to_be_focused()
    page.keyboard.type(f"Board{u}", delay=20)
    expect(page.locator("#search-results [role=option]").first).to_be_visible()
    page.keyboard.press("ArrowDown")
    box = page.locator("#global-search")
    first = page.locator("#search-results [role=option]").first
    expect(first).to_have_attribute("aria-selected", "true")
    expect(box).to_have_attribute("aria-activedescendant", first.get_attribute("id") or "?")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(rf"/leads/{lead['id']}$"))
    page.wait_for_load_state()  # the shortcuts are listened to once the scripts ran
    # ? opens the list of shortcuts, Escape closes it
    page.locator("body").press("?")
    help_dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(help_dialog).to_be_visible()
    page.keyboard.press("Escape")
    expect(help_dialog).to_be_hidden()
    # Ctrl+K: an action by its name
    page.keyboard.press("Control+k")
    palette = page.locator("#palette")
    expect(palette).to_be_visible()
    expect(page.locator("#palette-input")).to_be_focused()
    page.keyboard.type("new deal")
    expect(page.locator("#palette-list [aria-selected=true]")).to_have_text(re.compile("New deal"))
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/deals/new$"))
    page.wait_for_load_state()
    # ... and a record (through the search); Meta+K does the same on a Mac
    page.keyboard.press("Meta+k")
    expect(palette).to_be_visible()
    page.keyboard.type(f"Board{u}", delay=20)
    option = page.locator("#palette-list [role=option]", has_text=f"Board{u}")
    expect(option).to_be_visible()
    page.keyboard.press("ArrowUp")  # from the first, wraps to the last (an action)
    page.keyboard.press("ArrowDown")
    expect(page.locator("#palette-list [aria-selected=true]")).to_contain_text(f"Board{u}")
    e2e.shot(page, "command-palette")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(rf"/leads/{lead['id']}$"))
    # no shortcut fires while typing in a field
    page.goto("/leads/new")
    field = page.locator("input[name=first_name]")
    field.click()
    page.keyboard.type("a/b?")
    page.keyboard.press("Control+k")
    expect(field).to_have_value("a/b?")
    expect(page.locator("dialog[open]")).to_have_count(0)
    # an htmx request answered 500 (not swapped) still says so in the flash area
    page.goto("/leads")
    fragment = '<p class="flash error" role="alert">Something went wrong on our side.</p>'
    page.route(
        "**/search/suggest**",
        lambda route: route.fulfill(
            status=500, body=fragment, headers={"HX-Retarget": "#flash-area"}
        ),
    )
    page.locator("#global-search").fill("anything")
    expect(page.locator("#flash-area [role=alert]")).to_have_text(
        "Something went wrong on our side."
    )
    page.unroute("**/search/suggest**")
    # a visible focus outline on the sidebar's links
    page.goto("/leads")
    page.get_by_role("navigation", name="Main navigation").get_by_role("link", name="Leads").focus()
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("none", ""), outline


def test_hundred_character_names_fit_a_phone_and_show_in_full_on_hover(e2e: E2E) -> None:
    u = unique()
    long = (f"Longname{u}" + "abcdefghij" * 9)[:100]  # 100 characters, no space to break at
    account = e2e.create("admin", "/accounts", {"name": long})
    contact = e2e.create(
        "admin", "/contacts", {"first_name": "Wide", "last_name": long, "account_id": account["id"]}
    )
    lead_name = (f"Prospect{u}" + "qrstuvwxyz" * 9)[:100]  # not a duplicate of the contact
    lead = e2e.create("admin", "/leads", {"last_name": lead_name, "company": long})
    deal = e2e.create(
        "admin", "/deals", {"name": long, "amount": "1000", "account_id": account["id"]}
    )
    page = e2e.page("admin", phone=True)
    wide = {}
    for url in (
        f"/leads/{lead['id']}",
        f"/contacts/{contact['id']}",
        f"/accounts/{account['id']}",
        f"/deals/{deal['id']}",
        "/leads",
        "/contacts",
        "/accounts",
        "/deals",
        "/deals/board",
    ):
        response = page.goto(url)
        assert response is not None and response.status == 200, url
        page.wait_for_load_state("networkidle")  # the insight panels load after the page
        if not page.evaluate(FITS):
            wide[url] = page.evaluate("document.documentElement.scrollWidth")
        if (
            url.count("/") == 2 and url != "/deals/board"
        ):  # a record page: the whole name on hover of the title
            name = lead_name if url.startswith("/leads/") else long
            expect(page.locator("h1 [title]")).to_have_attribute("title", re.compile(name))
    assert not wide, f"wider than {PHONE['width']} px: {wide}"
    page.goto(f"/accounts/{account['id']}")
    page.locator("#global-search").fill(f"Longname{u}")
    hit = page.locator("#search-results a[role=option]").first
    expect(hit).to_have_attribute("title", re.compile(long))
    assert page.evaluate(FITS)
    e2e.shot(page, "long-name-phone")
