"""Hostile text in every text field of a lead, contact, account, deal, task and note stays
text: on list pages, record pages, edit forms, inline edit, the Convert dialog, search
suggestions, the board, task pages and the dashboard, no script runs (``window.__xss`` stays
undefined, no dialog, no CSP violation), no element is injected, the text is shown
literally, and a ``javascript:`` URL is never put in a link."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import E2E, unique

pytestmark = [pytest.mark.live, pytest.mark.browser]

SCRIPT = "<script>window.__xss=1</script>"
IMG = '"><img src=x onerror="window.__xss=1">'
JS_URL = "javascript:window.__xss=1"
# A valid web address (a host with a dot, no spaces) that tries to break out of href="…".
BREAKOUT_URL = 'https://evil.example.com/"><svg/onload=window.__xss=1>'

INERT = """() => {
  const found = [];
  if (window.__xss !== undefined) found.push("window.__xss is set");
  for (const el of document.querySelectorAll("img[src='x'], svg[onload], [onerror], [onload]"))
    found.push("injected element " + el.outerHTML.slice(0, 120));
  for (const s of document.scripts)
    if (s.text.includes("__xss")) found.push("injected script " + s.outerHTML.slice(0, 120));
  for (const el of document.querySelectorAll("[href], [src], [action], [formaction], [data]"))
    for (const name of ["href", "src", "action", "formaction", "data"]) {
      const v = (el.getAttribute(name) || "").replace(/[\\s\\u0000-\\u001f]/g, "").toLowerCase();
      if (v.startsWith("javascript:") || v.startsWith("data:text/html"))
        found.push("script URL in " + name + ": " + el.outerHTML.slice(0, 160));
    }
  return found;
}"""


def assert_inert(page: Any, where: str, *, literal: str | None = SCRIPT) -> None:
    page.wait_for_load_state("load")
    found = page.evaluate(INERT)
    assert not found, f"{where}: {found}"
    if literal is not None:
        text = page.locator("main").inner_text()
        assert literal in text, f"{where}: the hostile text is not shown literally"


def sql_update(url: str, table: str, column: str, value: str, record_id: str) -> None:
    """Write a value the API refuses (a ``javascript:`` URL) straight into the database, as an
    import or an older version might have: the pages must still never link it."""
    from sqlalchemy import text

    from nexa.core.db import make_engine

    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            done = conn.execute(
                text(f"UPDATE {table} SET {column} = :v WHERE id = :id"),  # noqa: S608
                {"v": value, "id": uuid.UUID(record_id).hex},
            )
            assert done.rowcount == 1, (table, record_id)
    finally:
        engine.dispose()


def test_hostile_text_is_shown_literally_and_never_runs(e2e: E2E) -> None:
    u = unique()
    mark = f"Hx{u}"
    h = f"{mark} {SCRIPT} {IMG}"
    tags = [SCRIPT, IMG]

    # The API refuses a javascript: web address outright.
    for path, body in (
        ("/leads", {"last_name": mark, "website": JS_URL}),
        ("/accounts", {"name": mark, "website": JS_URL}),
        ("/contacts", {"first_name": "x", "last_name": mark, "linkedin_url": JS_URL}),
    ):
        r = e2e.api("admin").post(path, json=body)
        assert r.status_code == 422, (path, r.status_code, r.text[:200])

    account = e2e.create(
        "admin",
        "/accounts",
        {
            "name": h,
            "industry": h,
            "description": h,
            "website": BREAKOUT_URL,
            "billing_address": {"street": h, "city": IMG, "state": SCRIPT},
        },
    )
    contact = e2e.create(
        "admin",
        "/contacts",
        {
            "first_name": IMG,
            "last_name": h,
            "title": h,
            "department": h,
            "tags": tags,
            "account_id": account["id"],
        },
    )
    lead = e2e.create(
        "admin",
        "/leads",
        {
            "first_name": IMG,
            "last_name": h,
            "company": h,
            "title": h,
            "industry": h,
            "description": h,
            "tags": tags,
            "website": BREAKOUT_URL,
            "allow_duplicates": True,
        },
    )
    deal = e2e.create(
        "admin",
        "/deals",
        {
            "name": h,
            "description": h,
            "amount": "1000",
            "stage": "qualification",
            "competitors": tags,
            "tags": tags,
            "account_id": account["id"],
            "primary_contact_id": contact["id"],
        },
    )
    task = e2e.create(
        "admin",
        "/tasks",
        {
            "title": h,
            "description": h,
            "due_at": "2020-01-01T09:00:00Z",
            "related_type": "deal",
            "related_id": deal["id"],
        },
    )
    note = e2e.create(
        "admin", "/notes", {"body": h, "related_type": "account", "related_id": account["id"]}
    )
    e2e.create("admin", "/notes", {"body": h, "related_type": "lead", "related_id": lead["id"]})
    url = e2e.server.database_url
    sql_update(url, "leads", "website", JS_URL, lead["id"])
    sql_update(url, "accounts", "website", JS_URL, account["id"])
    sql_update(url, "contacts", "linkedin_url", JS_URL, contact["id"])

    page = e2e.page("admin")

    # List pages (filtered to this run's records).
    for path, field, count in (
        ("leads", "last_name", 1),
        ("contacts", "last_name", 1),
        ("accounts", "name", 1),
        ("deals", "name", 1),
        ("tasks", "title", 1),
        ("notes", "body", 2),
    ):
        page.goto(f"/{path}?f={field}:contains:{mark}")
        expect(page.locator("table.records tbody tr")).to_have_count(count)
        assert_inert(page, f"/{path} list")

    # Record pages and edit forms.
    records = {
        "leads": lead["id"],
        "contacts": contact["id"],
        "accounts": account["id"],
        "deals": deal["id"],
        "tasks": task["id"],
        "notes": note["id"],
    }
    for path, rid in records.items():
        page.goto(f"/{path}/{rid}")
        assert_inert(page, f"/{path}/{rid}")
        page.goto(f"/{path}/{rid}/edit")
        assert_inert(page, f"/{path}/{rid}/edit", literal=None)
        values = page.locator("form.record-form").evaluate(
            "f => [...f.elements].map(e => e.value || '')"
        )
        assert any(SCRIPT in v for v in values), f"/{path}/{rid}/edit lost the text"

    # The javascript: addresses are shown as text, never linked.
    for path, rid in (("leads", lead["id"]), ("accounts", account["id"])):
        page.goto(f"/{path}/{rid}")
        expect(page.locator("#prop-website")).to_contain_text(JS_URL)
        assert_inert(page, f"/{path}/{rid} website")
    page.goto(f"/contacts/{contact['id']}")
    expect(page.locator("main")).to_contain_text(JS_URL)

    # Inline edit of a hostile value, and the lead's Convert dialog.
    page.goto(f"/leads/{lead['id']}")
    prop = page.locator("#prop-company")
    prop.get_by_role("button", name="Edit Company").click()
    expect(prop.locator("input[name=company]")).to_have_value(h)
    assert_inert(page, "inline edit")
    page.locator('[data-action="convert"]').click()
    expect(page.locator("dialog#convert-dialog")).to_be_visible()
    assert_inert(page, "convert dialog")
    expect(page.locator("dialog#convert-dialog")).to_contain_text(SCRIPT)

    # Search: suggestions as you type and the results page.
    page.goto("/")
    page.locator("#global-search").press_sequentially(mark, delay=20)
    expect(page.locator("#search-results [role=option]").first).to_be_visible()
    expect(page.locator("#search-results")).to_contain_text(SCRIPT)
    assert_inert(page, "search suggestions", literal=None)
    page.goto(f"/search?q={mark}")
    assert_inert(page, "search results")

    # The board, task pages, the dashboard, the timeline pages.
    page.goto("/deals/board")
    expect(page.locator(f'article.deal-card[data-deal-id="{deal["id"]}"]')).to_contain_text(mark)
    assert_inert(page, "deal board")
    page.goto("/tasks/mine")
    assert_inert(page, "my tasks")
    page.goto("/tasks/board")
    assert_inert(page, "task board", literal=None)
    page.goto(f"/accounts/{account['id']}/timeline")
    assert_inert(page, "account timeline", literal=None)
    page.goto("/")
    dashboard = page.locator("[data-testid=dash-weighted]").count() > 0
    assert_inert(page, "dashboard", literal=SCRIPT if dashboard else None)


def test_hostile_names_in_the_set_up_stay_text(e2e: E2E) -> None:
    """Names an admin or a user types in set-up (a user's name, a team, a pipeline and its
    stages, a custom field's label, a web form and its fields) show up on many pages."""
    u = unique()
    mark = f"Hy{u}"
    h = f"{mark} {SCRIPT} {IMG}"
    team = e2e.create("admin", "/teams", {"name": h})
    user = e2e.create(
        "admin",
        "/users",
        {
            "email": f"hostile-{u}@live.example.com",
            "full_name": h,
            "role": "sales_rep",
            "team_id": team["id"],
        },
    )
    pipeline = e2e.create(
        "admin",
        "/pipelines",
        {
            "name": h,
            "stages": [
                {"key": "first", "name": h, "probability": 20},
                {"key": "second", "name": IMG, "probability": 60},
                {"key": "won", "name": SCRIPT, "probability": 100, "kind": "won"},
                {"key": "lost", "name": f"{IMG} lost", "probability": 0, "kind": "lost"},
            ],
        },
    )
    field = e2e.create(
        "admin",
        "/custom-fields",
        {
            "object_type": "deal",
            "key": f"hostile_{u}",
            "label": h[:120],
            "field_type": "select",
            "options": [SCRIPT, IMG],
        },
    )
    deal = e2e.create(
        "admin",
        "/deals",
        {
            "name": f"{mark} plain deal",
            "amount": "300",
            "pipeline_id": pipeline["id"],
            "stage": "second",
            "owner_id": user["id"],
            "custom_fields": {field["key"]: IMG},
        },
    )
    lead = e2e.create(
        "admin", "/leads", {"last_name": f"{mark} plain lead", "owner_id": user["id"]}
    )
    slug = f"hostile-{u}"
    e2e.create(
        "admin",
        "/web-forms",
        {
            "name": h,
            "slug": slug,
            "fields": [
                {"key": "last_name", "label": h, "required": True},
                {"key": "company", "label": IMG, "type": "select", "options": [SCRIPT, IMG]},
            ],
            "success_message": h,
        },
    )

    page = e2e.page("admin")
    for url, literal in (
        (f"/deals/board?pipeline_id={pipeline['id']}", SCRIPT),
        (f"/deals/{deal['id']}", SCRIPT),
        (f"/deals/{deal['id']}/edit", None),
        ("/deals/new", SCRIPT),
        (f"/leads/{lead['id']}", SCRIPT),
        (f"/leads?f=last_name:contains:{mark}", SCRIPT),
        ("/", None),
        ("/admin/users", SCRIPT),
        (f"/admin/users/{user['id']}", None),
        ("/admin/teams", SCRIPT),
        (f"/admin/teams/{team['id']}", None),
        ("/admin/pipelines", SCRIPT),
        (f"/admin/pipelines/{pipeline['id']}", None),
        ("/admin/custom-fields?object_type=deal", SCRIPT),
        (f"/admin/custom-fields/{field['id']}", None),
        ("/admin/web-forms", SCRIPT),
    ):
        response = page.goto(url)
        assert response is not None and response.status == 200, (url, response)
        assert_inert(page, url, literal=literal)

    # The card's stage select lists the hostile stage names as text.
    card = page.locator(f'article.deal-card[data-deal-id="{deal["id"]}"]')
    page.goto(f"/deals/board?pipeline_id={pipeline['id']}")
    options = card.get_by_label("Move to stage").locator("option").all_inner_texts()
    assert SCRIPT in options and IMG in options, options

    # The public form, signed out: labels and the thank-you message are text.
    prospect = e2e.page(None)
    prospect.goto(f"/forms/{slug}")
    assert not prospect.evaluate(INERT)
    expect(prospect.locator("form")).to_contain_text(SCRIPT)
    prospect.get_by_label(h).fill(f"{mark} prospect")
    prospect.get_by_role("button", name="Send").click()
    expect(prospect.locator("body")).to_contain_text(SCRIPT)
    assert not prospect.evaluate(INERT)
