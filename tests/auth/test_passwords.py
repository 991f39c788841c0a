"""Passwords people choose: common and trivially patterned ones are refused (zxcvbn score ≥ 3,
with the user's name and email as words a guesser tries first) everywhere a password is set —
and every password the project documents or its tests sign in with passes."""

from __future__ import annotations

from typing import Any

import pytest

from nexa.auth.service import check_password_strength
from nexa.core.errors import ValidationFailed
from nexa.demo import DEMO_PASSWORD, DEMO_USERS
from nexa.user.schemas import UserCreate, UserUpdate
from nexa.user.service import create_user, update_user
from tests.factories.user import PASSWORD, make_user
from tests.web.conftest import form_post, sign_in

WEAK = {
    "1234567890": "top-100 common password",
    "aaaaaaaaaa": 'Repeats like "aaa" are easy to guess',
    "password12": "very common password",
}


@pytest.mark.parametrize("password", sorted(WEAK))
def test_common_and_patterned_passwords_are_refused_with_the_reason(password: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        check_password_strength(password, email="ann@example.com", full_name="Ann Example")
    assert caught.value.status == 422 and caught.value.field == "password"
    assert WEAK[password] in caught.value.detail


def test_the_users_own_name_and_email_count_as_guessable() -> None:
    who = {"email": "zbigniew.kowalczyk@quuxcorp.example", "full_name": "Zbigniew Kowalczyk"}
    check_password_strength("kowalczykzbigniew", email="x@example.com", full_name="X Y")
    with pytest.raises(ValidationFailed):
        check_password_strength("kowalczykzbigniew", **who)
    with pytest.raises(ValidationFailed):
        check_password_strength("zbigniewquuxcorp", **who)


def test_every_documented_and_test_password_passes() -> None:
    for user in DEMO_USERS:  # README: every demo user signs in with DEMO_PASSWORD
        check_password_strength(DEMO_PASSWORD, email=user.email, full_name=user.full_name)
    check_password_strength(DEMO_PASSWORD, email="rep1.1@scale.demo.nexa", full_name="Ann Lee")
    check_password_strength(PASSWORD, email="sales_rep.0a1b2c3d@example.com", full_name="Rita Rep")
    for role in ("admin", "manager", "sales_rep", "support_agent", "marketer", "read_only"):
        check_password_strength(  # tests/live and tests/e2e
            "live-password-123", email=f"{role}@live.example.com", full_name=f"Live {role}"
        )
    check_password_strength(
        "hostile-password-123", email="hostile-1@live.example.com", full_name="<b>x</b>"
    )


@pytest.mark.parametrize("password", sorted(WEAK))
def test_the_service_refuses_a_weak_password_on_create_and_change(
    db: Any, users: Any, password: str
) -> None:
    """What the admin pages and the CLI call (an API key may not set a password at all)."""
    admin = users.admin.actor
    body = {"email": "weak@example.com", "full_name": "Wes Weak", "password": password}
    with pytest.raises(ValidationFailed) as created:
        create_user(db, admin, UserCreate(**body))
    assert created.value.field == "password" and WEAK[password] in created.value.detail
    with pytest.raises(ValidationFailed) as changed:
        update_user(db, admin, users.rep.id, UserUpdate(password=password))
    assert changed.value.field == "password"


def test_the_api_never_takes_a_password_from_a_key(client: Any, users: Any) -> None:
    h = users.admin.headers
    body = {"email": "weak@example.com", "full_name": "Wes Weak", "password": "password12"}
    created = client.post("/api/v1/users", headers=h, json=body)
    assert created.status_code == 403 and created.json()["errors"][0]["field"] == "password"
    changed = client.patch(
        f"/api/v1/users/{users.rep.id}", headers=h, json={"password": "a long enough phrase"}
    )
    assert changed.status_code == 403 and changed.json()["errors"][0]["field"] == "password"


def test_the_admin_pages_refuse_a_weak_password(client: Any, db: Any, users: Any) -> None:
    csrf = sign_in(client, users.admin)
    new = form_post(
        client,
        "/admin/users/new",
        csrf,
        {"full_name": "Wes Weak", "email": "wes@example.com", "role": "sales_rep",
         "team_id": "", "password": "password12", "timezone": "UTC"},
    )  # fmt: skip
    assert new.status_code == 422 and "very common password" in new.text
    someone = make_user(db, "sales_rep", password=PASSWORD)
    reset = form_post(
        client, f"/admin/users/{someone.id}/password", csrf, {"password": "1234567890"}
    )
    assert reset.status_code == 422 and 'id="f-password-error"' in reset.text
    db.refresh(someone.user)
    assert someone.user.password_hash is not None
