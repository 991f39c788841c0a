"""Issue 15, point 9: a record whose name mixes alphabets within a word is saved and its page
says so; a web form refuses a mixed-script email like the API, naming the field."""

from __future__ import annotations

from typing import Any

from tests.factories.account import make_account
from tests.web.conftest import form_post, sign_in


def test_the_record_page_shows_a_mixed_script_flag(client: Any, db: Any, users: Any) -> None:
    spoof = make_account(db, users.admin.actor, name="G\u043e\u043egle Ltd")  # Cyrillic о
    plain = make_account(db, users.admin.actor, name="Google Ltd")
    db.commit()
    sign_in(client, users.admin)
    page = client.get(f"/accounts/{spoof.id}").text
    assert 'data-testid="record-flags"' in page and "mixes scripts (Cyrillic, Latin)" in page
    assert 'data-testid="record-flags"' not in client.get(f"/accounts/{plain.id}").text


def test_the_contact_form_refuses_a_mixed_script_email(client: Any, users: Any) -> None:
    csrf = sign_in(client, users.admin)
    data = {"first_name": "Ann", "last_name": "Lee", "email": "\u0430nn@example.com"}
    r = form_post(client, "/contacts/new", csrf, data)
    assert r.status_code in (200, 422), r.status_code
    assert "mixes scripts" in r.text


def test_the_user_lookup_matches_look_alike_typing(client: Any, users: Any) -> None:
    """The reference input's user lookup compares text keys: fullwidth typing finds a user."""
    sign_in(client, users.admin)
    name = users.rep.user.full_name
    typed = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in name[:6])
    r = client.get("/lookup/users", params={"q": typed})
    assert r.status_code == 200, r.text[:300]
    assert str(users.rep.id) in r.text
