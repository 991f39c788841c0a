"""Issue 15, point 9: look-alike values are the same value wherever uniqueness is checked
(accounts, contacts, leads, products, lists through RecordService), and point 11: a 409 about
a record the actor cannot read names neither its id nor its owner."""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories.contact import make_contact

# each a way to write "Globex Corp" that reads the same and differed before
NAME_VARIANTS = {
    "fullwidth": "Ｇｌｏｂｅｘ Ｃｏｒｐ",
    "decomposed accent": "Gl\u006fbex Corp\u0301",  # paired with a composed original below
    "zero-width space": "Glo\u200bbex Corp",
    "soft hyphen": "Glo\u00adbex Corp",
    "no-break space": "Globex\u00a0Corp",
    "doubled space, case": " GLOBEX   corp ",
}


@pytest.mark.parametrize("variant", sorted(NAME_VARIANTS))
def test_account_name_look_alikes_are_refused(client: Any, users: Any, variant: str) -> None:
    h = users.admin.headers
    original = "Globex Corṕ" if variant == "decomposed accent" else "Globex Corp"
    first = client.post("/api/v1/accounts", headers=h, json={"name": original})
    assert first.status_code == 201, first.text
    twin = client.post("/api/v1/accounts", headers=h, json={"name": NAME_VARIANTS[variant]})
    assert twin.status_code == 409, twin.text
    assert twin.json()["errors"][0]["field"] == "name"
    # the admin sees the holder: the answer may say which one
    assert twin.json()["existing_id"] == first.json()["id"]
    # renaming another account onto a look-alike is refused as well
    other = client.post("/api/v1/accounts", headers=h, json={"name": "Initech"}).json()
    onto = client.patch(
        f"/api/v1/accounts/{other['id']}", headers=h, json={"name": NAME_VARIANTS[variant]}
    )
    assert onto.status_code == 409 and onto.json()["errors"][0]["field"] == "name"


EMAIL_VARIANTS = {
    "fullwidth": "ｔｏｍ@acme.example",
    "upper case": "TOM@ACME.EXAMPLE",
    "fullwidth domain": "tom@ａｃｍｅ.example",
}


@pytest.mark.parametrize("variant", sorted(EMAIL_VARIANTS))
@pytest.mark.parametrize("path", ["/api/v1/contacts", "/api/v1/leads"])
def test_email_look_alikes_are_refused(client: Any, users: Any, path: str, variant: str) -> None:
    h = users.admin.headers
    body = {"first_name": "Tom", "last_name": "Smith", "allow_duplicates": True}
    if path.endswith("contacts"):
        body.pop("allow_duplicates")
    first = client.post(path, headers=h, json={**body, "email": "tom@acme.example"})
    assert first.status_code == 201, first.text
    twin = client.post(path, headers=h, json={**body, "email": EMAIL_VARIANTS[variant]})
    assert twin.status_code == 409, twin.text
    assert twin.json()["errors"][0]["field"] == "email"


@pytest.mark.parametrize("path", ["/api/v1/contacts", "/api/v1/leads"])
@pytest.mark.parametrize(
    "email", ["tom\u200b@acme.example", "tom\u00a0@acme.example", "t\u043em@acme.example"]
)
def test_invisible_and_mixed_script_emails_are_422(
    client: Any, users: Any, path: str, email: str
) -> None:
    """Zero-width and no-break spaces are not part of an address; a word mixing Latin and
    Cyrillic (``tоm`` with a Cyrillic ``о``) is refused, naming the field."""
    body = {"first_name": "Tom", "last_name": "Smith", "email": email}
    r = client.post(path, headers=users.admin.headers, json=body)
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["field"] == "email"
    if "\u043e" in email:
        assert "mixes scripts" in r.text


def test_fullwidth_email_is_stored_plain(client: Any, users: Any) -> None:
    body = {"first_name": "Ann", "last_name": "Lee", "email": "ＡＮＮ@ｅｘａｍｐｌｅ.com"}
    r = client.post("/api/v1/contacts", headers=users.admin.headers, json=body)
    assert r.status_code == 201, r.text
    assert r.json()["email"] == "ann@example.com"


def test_product_sku_and_list_name_look_alikes(client: Any, users: Any) -> None:
    h = users.admin.headers
    product = {"name": "Widget", "sku": "WID-001"}
    assert client.post("/api/v1/products", headers=h, json=product).status_code == 201
    twin = client.post(
        "/api/v1/products", headers=h, json={"name": "Widget 2", "sku": "ＷＩＤ－００１"}
    )
    assert twin.status_code == 409 and twin.json()["errors"][0]["field"] == "sku"
    assert client.post("/api/v1/lists", headers=h, json={"name": "Key accounts"}).status_code == 201
    twin = client.post("/api/v1/lists", headers=h, json={"name": "Key\u200b accounts"})
    assert twin.status_code == 409 and twin.json()["errors"][0]["field"] == "name"


# ---- point 11: the holder of a value is named only to those who can read it -----------------


def test_hidden_contact_email_twin_names_no_id(client: Any, db: Any, users: Any) -> None:
    hidden = make_contact(db, users.other_rep.actor, email="hidden@acme.example")
    db.commit()
    body = {"first_name": "H", "last_name": "Idden", "email": "HIDDEN@acme.example"}
    r = client.post("/api/v1/contacts", headers=users.rep.headers, json=body)
    assert r.status_code == 409, r.text
    assert r.json()["errors"][0]["field"] == "email"
    assert "existing_id" not in r.json() and "cannot see" in r.json()["detail"]
    assert str(hidden.id) not in r.text and str(users.other_rep.id) not in r.text


def test_hidden_account_name_twin_names_no_id(client: Any, users: Any) -> None:
    hidden = client.post(
        "/api/v1/accounts", headers=users.other_rep.headers, json={"name": "Hooli"}
    )
    assert hidden.status_code == 201, hidden.text
    r = client.post("/api/v1/accounts", headers=users.rep.headers, json={"name": "ＨＯＯＬＩ"})
    assert r.status_code == 409, r.text
    assert "existing_id" not in r.json() and "cannot see" in r.json()["detail"]
    assert hidden.json()["id"] not in r.text and str(users.other_rep.id) not in r.text


# ---- mixed-script record names are accepted and flagged ----------------------------------


def test_mixed_script_names_are_flagged_not_refused(client: Any, users: Any) -> None:
    h = users.admin.headers
    r = client.post("/api/v1/accounts", headers=h, json={"name": "\u0410cme Corp"})  # Cyrillic А
    assert r.status_code == 201, r.text
    flags = r.json()["flags"]
    assert [(f["field"], f["code"]) for f in flags] == [("name", "mixed_scripts")]
    assert "Cyrillic, Latin" in flags[0]["message"]
    got = client.get(f"/api/v1/accounts/{r.json()['id']}", headers=h).json()
    assert got["flags"] == flags
    listed = client.get("/api/v1/accounts", headers=h, params={"filter": "name:eq:\u0410cme Corp"})
    assert listed.json()["items"][0]["flags"] == flags
    lead = client.post(
        "/api/v1/leads",
        headers=h,
        json={"last_name": "Sm\u0456th", "company": "Иван Tech", "allow_duplicates": True},
    )
    assert lead.status_code == 201, lead.text
    assert [f["field"] for f in lead.json()["flags"]] == ["last_name"]  # Cyrillic і
    plain = client.post("/api/v1/contacts", headers=h, json={"first_name": "Ан", "last_name": "Li"})
    assert plain.status_code == 201 and plain.json()["flags"] == []
