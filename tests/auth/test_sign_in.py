"""Password sign-in (``auth.service.authenticate``): one answer and one argon2 verification
for every kind of failure, and a back-off keyed by (email, client address) instead of an
account lock anyone could trigger.

The work is checked structurally: argon2's ``PasswordHasher.verify`` is wrapped to count its
calls (each call is a real verification). Timings are measured by bench/signin_timing.py,
never asserted here."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from argon2 import PasswordHasher

from nexa.auth import service as auth_service
from nexa.config import get_settings
from nexa.core.errors import DomainError, NotAuthenticated, TooManyRequests
from nexa.models import LoginAttempt
from tests.factories.user import PASSWORD, Person, make_user

ATTACKER = "203.0.113.66"
OFFICE = "198.51.100.7"


@pytest.fixture(autouse=True)
def two_failures(monkeypatch: pytest.MonkeyPatch) -> None:
    """Back-off after 2 failures instead of 5: each failure is a real argon2 verification."""
    monkeypatch.setattr(get_settings(), "login_max_failures", 2)


@pytest.fixture
def verifications(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The hashes argon2 verified a password against, in order (the real verification runs)."""
    calls: list[str] = []
    original = PasswordHasher.verify

    def counted(self: PasswordHasher, hash: str | bytes, password: str | bytes) -> bool:
        calls.append(hash if isinstance(hash, str) else hash.decode())
        return original(self, hash, password)

    monkeypatch.setattr(PasswordHasher, "verify", counted)
    return calls


@pytest.fixture
def person(db: Any) -> Person:
    return make_user(db, "sales_rep", name="Rita Rep", password=PASSWORD)


def _fail(db: Any, email: str, password: str, client: str) -> DomainError:
    with pytest.raises(DomainError) as caught:
        auth_service.authenticate(db, email, password, client)
    return caught.value


def _back_off(db: Any, email: str, client: str) -> None:
    for _ in range(get_settings().login_max_failures):
        assert isinstance(_fail(db, email, "not it at all", client), NotAuthenticated)


def _failure(kind: str, db: Any, person: Person) -> tuple[str, str]:
    """Arrange one kind of failure; the (email, password) that then fails."""
    if kind == "unknown email":
        return "nobody.here@example.com", PASSWORD
    if kind == "wrong password":
        return person.user.email, "not the password at all"
    if kind == "deactivated":
        person.user.is_active = False
        db.flush()
        return person.user.email, PASSWORD
    if kind == "no password set":
        return make_user(db, "sales_rep", password=None).user.email, PASSWORD
    assert kind == "backed off"  # the old "locked": this address failed too often
    _back_off(db, person.user.email, ATTACKER)
    return person.user.email, PASSWORD


FAILURES = ["unknown email", "wrong password", "backed off", "deactivated", "no password set"]


@pytest.mark.parametrize("kind", FAILURES)
def test_every_failure_runs_exactly_one_password_verification(
    db: Any, person: Person, verifications: list[str], kind: str
) -> None:
    email, password = _failure(kind, db, person)
    verifications.clear()
    _fail(db, email, password, ATTACKER)
    assert len(verifications) == 1, f"{kind}: {len(verifications)} argon2 verifications"
    if kind != "wrong password":  # nothing about the account was checked: the dummy hash was
        assert verifications[0] == auth_service._DUMMY_HASH


def test_a_sign_in_runs_exactly_one_verification_too(
    db: Any, person: Person, verifications: list[str]
) -> None:
    assert auth_service.authenticate(db, person.user.email, PASSWORD, OFFICE).id == person.id
    assert verifications == [person.user.password_hash]


def test_every_credential_failure_answers_the_same(db: Any, person: Person) -> None:
    answers = set()
    for kind in ["unknown email", "wrong password", "deactivated", "no password set"]:
        email, password = _failure(kind, db, person)
        exc = _fail(db, email, password, OFFICE)
        answers.add((type(exc), exc.status, exc.detail, exc.field))
    assert answers == {(NotAuthenticated, 401, "email or password is wrong", None)}


def test_the_back_off_answers_the_same_for_an_account_and_an_unknown_email(
    db: Any, person: Person
) -> None:
    _back_off(db, person.user.email, ATTACKER)
    _back_off(db, "nobody.here@example.com", ATTACKER)
    known = _fail(db, person.user.email, PASSWORD, ATTACKER)
    unknown = _fail(db, "nobody.here@example.com", PASSWORD, ATTACKER)
    assert isinstance(known, TooManyRequests) and isinstance(unknown, TooManyRequests)
    # the same words and status; the seconds left depend only on when each failed last
    assert (known.status, re.sub(r"\d+", "N", known.detail)) == (
        unknown.status,
        re.sub(r"\d+", "N", unknown.detail),
    )
    assert 0 < known.retry_after <= get_settings().login_backoff_seconds
    assert 0 < unknown.retry_after <= get_settings().login_backoff_seconds


def test_failures_from_one_address_never_lock_the_real_user_out_elsewhere(
    db: Any, person: Person
) -> None:
    for _ in range(3 * get_settings().login_max_failures):
        _fail(db, person.user.email, "attacker guessing", ATTACKER)
    refused = _fail(db, person.user.email, PASSWORD, ATTACKER)  # even the right password
    assert isinstance(refused, TooManyRequests)
    assert auth_service.authenticate(db, person.user.email, PASSWORD, OFFICE).id == person.id
    assert person.user.locked_until is None  # no account-wide lock any more


def _age_attempts(db: Any, seconds: int) -> None:
    """As if ``seconds`` had passed."""
    for attempt in db.query(LoginAttempt):
        attempt.attempted_at -= timedelta(seconds=seconds)
    db.flush()


def test_the_wait_grows_with_each_failure_and_is_capped(
    db: Any, person: Person, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = get_settings()
    monkeypatch.setattr(settings, "login_backoff_seconds", 30)
    monkeypatch.setattr(settings, "login_backoff_max_seconds", 100)
    email = person.user.email
    _back_off(db, email, ATTACKER)
    waits = []
    for _ in range(4):
        refused = _fail(db, email, PASSWORD, ATTACKER)
        assert isinstance(refused, TooManyRequests)
        waits.append(refused.retry_after)
        _age_attempts(db, refused.retry_after)  # the wait is over: one more guess …
        assert isinstance(_fail(db, email, "another wrong guess", ATTACKER), NotAuthenticated)
    assert waits == [30, 60, 100, 100]  # doubling, capped; throttled refusals are not failures


def test_a_success_from_the_address_clears_its_failures(db: Any, person: Person) -> None:
    email = person.user.email
    for _ in range(get_settings().login_max_failures - 1):
        _fail(db, email, "typo", OFFICE)
    auth_service.authenticate(db, email, PASSWORD, OFFICE)
    for _ in range(get_settings().login_max_failures - 1):
        _fail(db, email, "typo again", OFFICE)
    assert auth_service.authenticate(db, email, PASSWORD, OFFICE).id == person.id


def test_old_failures_are_forgotten(db: Any, person: Person) -> None:
    _back_off(db, person.user.email, ATTACKER)
    _age_attempts(db, get_settings().login_failure_memory_hours * 3600 + 1)
    assert auth_service.authenticate(db, person.user.email, PASSWORD, ATTACKER).id == person.id


def test_the_sweep_deletes_attempts_too_old_to_count(db: Any, person: Person) -> None:
    _fail(db, person.user.email, "typo", OFFICE)
    _age_attempts(db, get_settings().login_failure_memory_hours * 3600 + 60)
    _fail(db, person.user.email, "typo", OFFICE)
    swept = auth_service.sweep_sign_in_records(db)
    assert swept["attempts"] == 1
    assert db.query(LoginAttempt).count() == 1
