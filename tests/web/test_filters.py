"""The list pages' filter builder in words (issue 18 point 3): operators per field kind,
pickers for choices, users, dates and records, a status typed as a person writes it, and no
internal columns offered."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

from tests.factories.account import make_account
from tests.factories.lead import make_lead
from tests.web.conftest import sign_in

API_WORDS = re.compile(
    r">\s*(eq|ne|lt|lte|gt|gte|in|not in|is null|not_in|is_null|starts_with)\s*<"
)


def options(html: str, select_id: str) -> list[str]:
    found = re.search(rf'<select[^>]*id="{select_id}"[^>]*>(.*?)</select>', html, re.S)
    assert found, select_id
    return [unescape(t).strip() for t in re.findall(r"<option[^>]*>(.*?)</option>", found[1])]


def test_operators_are_words_and_internal_fields_are_not_offered(
    client: Any, db: Any, users: Any
) -> None:
    make_lead(db, users.rep.actor, status="new")
    db.commit()
    sign_in(client, users.rep)
    page = client.get("/leads?ff=created_at&fo=lt&fv=2030-01-01&ff=company&fo=empty&fv=").text
    assert not API_WORDS.search(page), API_WORDS.search(page)
    assert options(page, "fo1") == ["is on or after", "is before", "is empty", "is not empty"]
    assert 'id="fv1" type="date"' in page and 'value="2030-01-01"' in page
    assert options(page, "fo2")[:3] == ["contains", "starts with", "is exactly"]
    assert re.search(r'<option value="empty" selected>is empty</option>', page)
    fields = options(page, "ff3")
    assert "Id" not in fields and "Deleted at" not in fields and "Status" in fields
    chooser = re.findall(r'name="columns" value="([^"]+)"', page)
    assert chooser and "id" not in chooser and "deleted_at" not in chooser


def test_a_status_typed_as_shown_filters(client: Any, db: Any, users: Any) -> None:
    new = make_lead(db, users.rep.actor, status="new", last_name="Newcomer")
    make_lead(db, users.rep.actor, status="contacted", last_name="Reached")
    db.commit()
    sign_in(client, users.rep)
    page = client.get("/leads?ff=status&fo=eq&fv=New")
    assert page.status_code == 200, page.text[:500]
    assert "Newcomer" in page.text and "Reached" not in page.text
    api = client.get("/api/v1/leads", params={"filter": "source:eq:Web Form"},
                     headers=users.rep.headers)  # fmt: skip
    assert api.status_code in (200, 422)
    got = client.get("/api/v1/leads", params={"filter": "status:eq:New"}, headers=users.rep.headers)
    assert got.status_code == 200 and str(new.id) in got.text


def test_the_row_for_a_field_brings_its_picker(client: Any, db: Any, users: Any) -> None:
    account = make_account(db, users.rep.actor, name="Picker Account")
    db.commit()
    sign_in(client, users.rep)
    status = client.get(
        "/leads/filter-row", params={"ff": "status", "i": "2"}, headers={"HX-Request": "true"}
    )
    assert status.status_code == 200
    assert options(status.text, "fv2")[:3] == ["—", "New", "Contacted"]
    assert 'id="filter-row-2"' in status.text
    owner = client.get("/leads/filter-row", params={"ff": "owner_id", "i": "1"}).text
    assert options(owner, "fv1")[:2] == ["—", "Me"]  # a rep may not list users
    client.cookies.clear()
    db.info.pop("web_choices", None)  # the requests share the test's session (and its cache)
    sign_in(client, users.admin)
    owner = client.get("/leads/filter-row", params={"ff": "owner_id", "i": "1"}).text
    assert users.rep.user.full_name in options(owner, "fv1")
    account_row = client.get("/contacts/filter-row", params={"ff": "account_id"}).text
    assert 'data-lookup-url="/lookup/accounts"' in account_row
    shown = client.get(f"/contacts?ff=account_id&fo=eq&fv={account.id}").text
    assert 'value="Picker Account"' in shown
    unknown = client.get("/leads/filter-row", params={"ff": "no_such_field"})
    assert unknown.status_code == 200 and 'name="fo" value=""' in unknown.text
