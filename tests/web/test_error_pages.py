"""The web UI answers its errors with its own pages (navigation included for a signed-in
user, words instead of a pydantic dump, no traceback); the API keeps problem+json; htmx
requests keep getting the small fragment for #flash-area."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.factories.task import make_task
from tests.web.conftest import form_post, sign_in

SIDEBAR = 'aria-label="Main navigation"'


def _is_page(r: Any, status: int) -> None:
    assert r.status_code == status, (r.status_code, r.text[:300])
    assert r.headers["content-type"].startswith("text/html"), r.headers["content-type"]
    assert r.text.lstrip().startswith("<!doctype html>"), r.text[:200]
    assert '"detail"' not in r.text and "Traceback" not in r.text


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/no/such/page", 404),
        ("/leads/not-a-uuid", 404),  # a malformed id: no such record
        ("/leads/00000000-0000-4000-8000-000000000000", 404),
        ("/admin", 403),
        (f"/search?q={'x' * 201}", 422),
    ],
)
def test_errors_are_pages_with_the_navigation(
    client: Any, users: Any, url: str, status: int
) -> None:
    sign_in(client, users.rep)
    r = client.get(url)
    _is_page(r, status)
    assert SIDEBAR in r.text  # signed in: the sidebar and the top bar
    assert "Sign out" in r.text


def test_a_malformed_id_says_so_in_words(client: Any, users: Any) -> None:
    sign_in(client, users.rep)
    r = client.get("/leads/not-a-uuid")
    assert "uuid_parsing" not in r.text and "loc" not in r.text
    assert "Page not found" in r.text


def test_a_wrong_method_is_a_page(client: Any, users: Any) -> None:
    sign_in(client, users.rep)
    r = client.put("/leads")
    _is_page(r, 405)
    assert SIDEBAR in r.text
    assert "allow" in {k.lower() for k in r.headers}


def test_signed_out_an_unknown_page_has_no_sidebar(client: Any) -> None:
    r = client.get("/no/such/page")
    _is_page(r, 404)
    assert SIDEBAR not in r.text
    assert 'href="/login"' in r.text


def test_a_form_post_failing_validation_names_the_field_in_words(
    client: Any, db: Any, users: Any
) -> None:
    task = make_task(db, users.rep.actor)
    db.commit()
    csrf = sign_in(client, users.rep)
    r = form_post(client, f"/tasks/{task.id}/status", csrf, {"status": "x" * 30})
    _is_page(r, 422)
    assert SIDEBAR in r.text
    assert "Status" in r.text and "at most 20 characters" in r.text
    assert "string_too_long" not in r.text


def test_htmx_requests_get_the_fragment_for_the_flash_area(client: Any, users: Any) -> None:
    sign_in(client, users.rep)
    for url in ("/leads/not-a-uuid", f"/leads/{uuid.uuid4()}", "/no/such/page"):
        r = client.get(url, headers={"HX-Request": "true"})
        assert r.status_code == 404, url
        assert r.headers["HX-Retarget"] == "#flash-area"
        assert "<!doctype html>" not in r.text and 'role="alert"' in r.text


@pytest.fixture
def lenient_client(app: Any) -> Iterator[Any]:
    from fastapi.testclient import TestClient

    with TestClient(app, base_url="http://testserver", raise_server_exceptions=False) as c:
        yield c


def test_an_unexpected_exception_is_a_500_page_without_the_traceback(
    lenient_client: Any, users: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from nexa.search import service as search_service

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("secret internals of the search")

    monkeypatch.setattr(search_service, "search", broken)
    sign_in(lenient_client, users.rep)
    r = lenient_client.get("/search?q=acme")
    _is_page(r, 500)
    assert "secret internals" not in r.text and "RuntimeError" not in r.text
    assert SIDEBAR in r.text


def test_the_api_keeps_problem_json(client: Any, users: Any) -> None:
    for url in ("/api/v1/no-such-thing", "/api/v1/leads/not-a-uuid"):
        r = client.get(url, headers=users.rep.headers)
        assert r.headers["content-type"].startswith("application/problem+json"), (url, r.text)
        body = r.json()
        assert body["status"] == r.status_code and "title" in body


def test_the_sidebar_and_new_menu_show_only_what_the_user_may_open(client: Any, users: Any) -> None:
    sign_in(client, users.read_only)
    page = client.get("/leads").text
    assert SIDEBAR in page and 'href="/leads"' in page
    assert "Create a record" not in page  # no + New without a create permission
    assert 'href="/admin"' not in page
    sign_in(client, users.admin)
    page = client.get("/deals/board").text
    assert "Create a record" in page and 'href="/admin"' in page
    assert '<a href="/deals/board" aria-current="page">Pipeline</a>' in page
    assert '<a href="/deals">Deals</a>' in page
