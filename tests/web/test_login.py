"""The web sign-in over real HTTP: CSRF, lock-out, rate limit, logout, safe redirects, and the
notification centre (page and API)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from nexa.config import get_settings
from nexa.models import LoginAttempt, User
from nexa.notification.service import notify
from tests.factories.user import PASSWORD, Person, make_user

CSRF = re.compile(r'<input type="hidden" name="csrf_token" value="([^"]+)"')


def csrf_from(html: str) -> str:
    match = CSRF.search(html)
    assert match, "no csrf_token hidden input on the page"
    return match.group(1)


def sign_in(client: Any, email: str, password: str, *, next: str | None = None) -> Any:
    page = client.get("/login", params={"next": next} if next else None)
    assert page.status_code == 200
    data = {"email": email, "password": password, "csrf_token": csrf_from(page.text)}
    if next is not None:
        data["next"] = next
    return client.post("/login", data=data, follow_redirects=False)


@pytest.fixture
def person(db: Any) -> Person:
    someone = make_user(db, "sales_rep", name="Rita Rep", password=PASSWORD)
    db.commit()
    return someone


def test_login_page_renders_with_a_csrf_token(client: Any) -> None:
    r = client.get("/login")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert len(csrf_from(r.text)) >= 32
    assert 'name="password"' in r.text


def test_a_post_without_or_with_a_wrong_csrf_token_is_refused(client: Any, person: Person) -> None:
    client.get("/login")  # the session now holds a token
    form = {"email": person.user.email, "password": PASSWORD}
    assert client.post("/login", data=form, follow_redirects=False).status_code == 403
    wrong = client.post("/login", data={**form, "csrf_token": "forged"}, follow_redirects=False)
    assert wrong.status_code == 403
    assert client.get("/", follow_redirects=False).status_code == 303  # still signed out


def test_a_correct_password_signs_in(client: Any, db: Any, person: Person) -> None:
    r = sign_in(client, person.user.email.upper(), PASSWORD)
    assert r.status_code == 303
    assert r.headers["location"] == "/"
    home = client.get("/")
    assert home.status_code == 200
    assert "Rita Rep" in home.text
    assert db.get(User, person.id).last_login_at is not None


def test_a_wrong_password_is_refused_without_saying_which_part_was_wrong(
    client: Any, person: Person
) -> None:
    wrong = sign_in(client, person.user.email, "not the password")
    unknown = sign_in(client, "nobody@example.com", PASSWORD)
    assert wrong.status_code == unknown.status_code == 401
    assert (
        "email or password is wrong" in wrong.text and "email or password is wrong" in unknown.text
    )
    assert client.get("/", follow_redirects=False).status_code == 303


def _answer(response: Any, email: str) -> tuple[int, str]:
    """Status and page, with the email the form echoes back taken out."""
    return response.status_code, response.text.replace(email, "EMAIL")


def test_every_failure_gets_the_same_page(client: Any, db: Any, person: Person) -> None:
    no_password = make_user(db, "sales_rep", password=None)
    deactivated = make_user(db, "sales_rep", password=PASSWORD)
    deactivated.user.is_active = False
    db.commit()
    tries = {
        "unknown email": ("nobody.at.all@example.com", PASSWORD),
        "wrong password": (person.user.email, "not the password at all"),
        "deactivated": (deactivated.user.email, PASSWORD),
        "no password set": (no_password.user.email, PASSWORD),
    }
    answers = {kind: _answer(sign_in(client, *t), t[0]) for kind, t in tries.items()}
    assert len(set(answers.values())) == 1, answers
    status, page = answers["unknown email"]
    assert status == 401 and "email or password is wrong" in page


def test_failures_make_that_address_wait_not_the_account(
    app: Any, client: Any, db: Any, person: Person
) -> None:
    from fastapi.testclient import TestClient

    for _ in range(get_settings().login_max_failures):
        assert sign_in(client, person.user.email, "guessing wrong").status_code == 401
    waiting = sign_in(client, person.user.email, PASSWORD)  # even with the right password
    assert waiting.status_code == 429 and int(waiting.headers["retry-after"]) > 0
    assert "try again in" in waiting.text
    unknown = "nobody.at.all@example.com"
    for _ in range(get_settings().login_max_failures):
        sign_in(client, unknown, "guessing wrong")
    other = sign_in(client, unknown, PASSWORD)
    assert other.status_code == 429  # the same for an email no account has
    assert db.get(User, person.id).locked_until is None
    with TestClient(app, client=("198.51.100.7", 40000)) as elsewhere:
        assert sign_in(elsewhere, person.user.email, PASSWORD).status_code == 303
        assert elsewhere.get("/").status_code == 200
    attempts = db.scalars(select(LoginAttempt).where(LoginAttempt.email == person.user.email)).all()
    assert len(attempts) == 7  # failures were kept although each of those requests failed


def test_sign_ins_are_rate_limited_per_client(
    client: Any, person: Person, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(get_settings(), "login_rate_per_minute", 3)
    for _ in range(3):
        assert sign_in(client, "nobody@example.com", "whatever it is").status_code == 401
    limited = sign_in(client, person.user.email, PASSWORD)
    assert limited.status_code == 429
    assert client.get("/", follow_redirects=False).status_code == 303


def test_logout_clears_the_session(client: Any, person: Person) -> None:
    assert sign_in(client, person.user.email, PASSWORD).status_code == 303
    home = client.get("/")
    assert home.status_code == 200
    assert (
        client.post("/logout", data={}, follow_redirects=False).status_code == 403
    )  # CSRF here too
    assert client.get("/").status_code == 200
    out = client.post("/logout", data={"csrf_token": csrf_from(home.text)}, follow_redirects=False)
    assert out.status_code == 303 and out.headers["location"] == "/login"
    after = client.get("/", follow_redirects=False)
    assert after.status_code == 303 and after.headers["location"].startswith("/login")


def test_changing_the_password_signs_out_other_sessions(
    app: Any, client: Any, person: Person
) -> None:
    assert sign_in(client, person.user.email, PASSWORD).status_code == 303
    assert client.get("/").status_code == 200
    other = TestClient(app)
    assert sign_in(other, person.user.email, PASSWORD).status_code == 303
    page = other.get("/profile")
    r = other.post(
        "/profile/password",
        data={"csrf_token": csrf_from(page.text), "current_password": PASSWORD,
              "password": "a fresh new password", "password_again": "a fresh new password"},
        follow_redirects=False,
    )  # fmt: skip
    assert r.status_code == 303, r.text
    assert client.get("/", follow_redirects=False).status_code == 303


def test_a_key_cannot_change_the_password(client: Any, person: Person) -> None:
    r = client.patch(
        "/api/v1/me",
        headers=person.headers,
        json={"password": "a fresh new password", "current_password": PASSWORD},
    )
    assert r.status_code == 403 and r.json()["errors"][0]["field"] == "password"


@pytest.mark.parametrize(
    "target", ["//evil.com", "https://evil.com/", "/\\evil.com", "evil.com", "javascript:alert(1)"]
)
def test_next_never_leaves_the_site(client: Any, person: Person, target: str) -> None:
    page = client.get("/login", params={"next": target})
    assert 'name="next" value="/"' in page.text
    r = sign_in(client, person.user.email, PASSWORD, next=target)
    assert r.status_code == 303
    assert r.headers["location"] == "/"


def test_next_keeps_a_local_path(client: Any, person: Person) -> None:
    bounced = client.get("/notifications", follow_redirects=False)
    assert (
        bounced.status_code == 303 and bounced.headers["location"] == "/login?next=/notifications"
    )
    r = sign_in(client, person.user.email, PASSWORD, next="/notifications")
    assert r.status_code == 303 and r.headers["location"] == "/notifications"


def test_notifications_page_and_unread_count(client: Any, db: Any, person: Person) -> None:
    notify(
        db,
        user_id=person.id,
        kind="assigned",
        title="Acme Corp assigned to you",
        body="By your manager",
    )
    db.commit()
    assert sign_in(client, person.user.email, PASSWORD).status_code == 303
    home = client.get("/")
    assert '<span id="unread" class="badge">1</span>' in home.text
    page = client.get("/notifications")
    assert page.status_code == 200
    assert "Acme Corp assigned to you" in page.text and "By your manager" in page.text
    read = client.post(
        "/notifications/read-all", data={"csrf_token": csrf_from(page.text)}, follow_redirects=False
    )
    assert read.status_code == 303
    assert '<span id="unread" class="badge">0</span>' in client.get("/notifications").text


def test_notifications_api_lists_and_marks_read(
    client: Any, db: Any, person: Person, users: Any
) -> None:
    first = notify(db, user_id=person.id, kind="assigned", title="First")
    notify(db, user_id=person.id, kind="mention", title="Second")
    notify(db, user_id=users.rep.id, kind="assigned", title="Someone else's")
    db.commit()
    h = person.headers
    listing = client.get("/api/v1/notifications", headers=h).json()
    assert {n["title"] for n in listing["items"]} == {"First", "Second"}
    assert listing["unread"] == 2
    one = client.post(f"/api/v1/notifications/{first.id}/read", headers=h)
    assert one.status_code == 200 and one.json()["read_at"] is not None
    assert [
        n["title"]
        for n in client.get(
            "/api/v1/notifications", headers=h, params={"unread_only": True}
        ).json()["items"]
    ] == ["Second"]
    assert (
        client.post(f"/api/v1/notifications/{first.id}/read", headers=users.rep.headers).status_code
        == 404
    )
    assert client.post("/api/v1/notifications/read-all", headers=h).json() == {"marked": 1}
    assert client.get("/api/v1/notifications", headers=h).json()["unread"] == 0
