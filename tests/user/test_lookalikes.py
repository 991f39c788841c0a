"""Issue 15, point 9: a user ``аdmin@demo.nexa`` (Cyrillic ``а``) was created with the real
admin's display name. Mixed-script emails and names are refused (422 naming the field), and
look-alike emails are the same email."""

from __future__ import annotations

from typing import Any

import pytest

URL = "/api/v1/users"
BODY = {"full_name": "New Person", "role": "sales_rep"}


def test_a_cyrillic_look_alike_of_an_admin_is_refused(client: Any, users: Any) -> None:
    real = users.admin.user
    local, domain = real.email.split("@")
    spoof = "\u0430" + local[1:] + "@" + domain if local[0] == "a" else "а" + local + "@" + domain
    body = {**BODY, "email": spoof, "full_name": real.full_name}
    r = client.post(URL, headers=users.admin.headers, json=body)
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["field"] == "email"
    assert "mixes scripts" in r.json()["errors"][0]["message"]


@pytest.mark.parametrize(
    "variant",
    ["ＮＥＷ.person@example.com", "New.Person@EXAMPLE.com", "new.person@ｅｘａｍｐｌｅ.com"],
)
def test_look_alike_user_emails_are_one_email(client: Any, users: Any, variant: str) -> None:
    first = client.post(
        URL, headers=users.admin.headers, json={**BODY, "email": "new.person@example.com"}
    )
    assert first.status_code == 201, first.text
    twin = client.post(URL, headers=users.admin.headers, json={**BODY, "email": variant})
    assert twin.status_code == 409, twin.text
    assert twin.json()["errors"][0]["field"] == "email"


def test_mixed_script_user_names_are_refused(client: Any, users: Any) -> None:
    body = {**BODY, "email": "ivan@example.com", "full_name": "Ivаn Petrov"}  # Cyrillic а
    r = client.post(URL, headers=users.admin.headers, json=body)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "full_name"
    assert "mixes scripts" in r.text
    # one alphabet per word is fine, whichever
    ok = client.post(URL, headers=users.admin.headers, json={**body, "full_name": "Иван Petrov"})
    assert ok.status_code == 201, ok.text
    me = client.patch("/api/v1/me", headers=users.rep.headers, json={"full_name": "Rеp"})
    assert me.status_code == 422 and me.json()["errors"][0]["field"] == "full_name"
