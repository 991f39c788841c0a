"""Templates: merge fields from the record with defaults for missing values, the sandbox
(``{{ ''.__class__.__mro__ }}`` is a 422 naming the field, at save and at send), HTML cleaned
by nh3 (no ``<script>``, no ``javascript:``), a preview against a real record."""

from __future__ import annotations

from typing import Any

import pytest

from nexa.email.rendering import clean_html, text_of_html
from tests.email.conftest import SmtpServer, configure
from tests.factories.lead import make_lead
from tests.factories.user import make_user

ESCAPES = [
    "{{ ''.__class__.__mro__ }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ lead.__class__ }}",
    "{{ cycler.__init__.__globals__ }}",
    "{% for i in range(10**9) %}x{% endfor %}",
    "{{ 'x' * 10**9 }}",
    "{{ unclosed",
]


def fields(response: Any) -> list[str]:
    return [e["field"] for e in response.json().get("errors", [])]


@pytest.mark.parametrize("source", ESCAPES)
@pytest.mark.parametrize("field", ["subject", "text", "html"])
def test_sandbox_escape_is_refused_at_save(client: Any, db: Any, source: str, field: str) -> None:
    rep = make_user(db, "sales_rep")
    db.commit()
    template = {"name": "Bad", "subject": "Hi", "text": "Hi", "html": "", field: source}
    response = client.post("/api/v1/email-templates", headers=rep.headers, json=template)
    assert response.status_code == 422, response.text
    assert fields(response) == [field]


def test_sandbox_escape_is_refused_at_send(client: Any, db: Any, smtp_server: SmtpServer) -> None:
    configure(db, smtp_server)
    rep = make_user(db, "sales_rep")
    lead = make_lead(db, rep.actor, email="lead@example.org")
    db.commit()
    response = client.post(
        "/api/v1/emails",
        headers=rep.headers,
        json={
            "record_type": "lead",
            "record_id": str(lead.id),
            "subject": "Hi",
            "text": "{{ ''.__class__.__mro__ }}",
        },
    )
    assert response.status_code == 422 and fields(response) == ["text"]


def test_html_is_cleaned() -> None:
    dirty = (
        '<p onclick="steal()">Hi <script>alert(1)</script>'
        '<a href="javascript:alert(1)">x</a> <a href="https://example.org/p">ok</a>'
        "<iframe src=https://evil.example></iframe><style>p{}</style></p>"
    )
    clean = clean_html(dirty)
    assert "<script" not in clean and "alert(1)" not in clean
    assert "javascript:" not in clean and "onclick" not in clean and "iframe" not in clean
    assert "<style" not in clean
    assert 'href="https://example.org/p"' in clean
    assert text_of_html("<p>One &amp; two</p><p>Three<br>four</p>") == "One & two\nThree\nfour"


def test_template_merge_fields_defaults_and_preview(
    client: Any, db: Any, smtp_server: SmtpServer
) -> None:
    configure(db, smtp_server)
    rep = make_user(db, "sales_rep", name="Rita Rep")
    lead = make_lead(db, rep.actor, first_name="Ana", company="Acme", email="ana@example.org")
    no_company = make_lead(db, rep.actor, first_name="Bo", email="bo@example.org")
    db.commit()
    made = client.post(
        "/api/v1/email-templates",
        headers=rep.headers,
        json={
            "name": "Intro",
            "subject": "{{ lead.company }}: {{ deal.name | default('our offer') }}, "
            "{{ organization.name }}",
            "text": "Hi {{ lead.first_name }}, {{ owner.first_name }} here. {{ deal.name }}.",
            "html": "<p>Hi {{ lead.first_name }}<script>x()</script>"
            '<a href="javascript:alert(1)">a</a></p>',
        },
    )
    assert made.status_code == 201, made.text
    template_id = made.json()["id"]

    def preview(record: Any) -> Any:
        return client.post(
            "/api/v1/email-templates/preview",
            headers=rep.headers,
            json={"record_type": "lead", "record_id": str(record.id), "template_id": template_id},
        )

    shown = preview(lead)
    assert shown.status_code == 200, shown.text
    assert shown.json()["subject"].startswith("Acme: our offer, ")  # no deal: the default
    assert shown.json()["text"] == "Hi Ana, Rita here. ."  # no deal: the field is empty
    assert "<script" not in shown.json()["html"] and "javascript:" not in shown.json()["html"]
    assert preview(no_company).json()["text"].startswith("Hi Bo, Rita here.")
    # merge values are escaped in HTML
    evil = make_lead(
        db, rep.actor, first_name="<img src=x onerror=alert(1)>", email="e@example.org"
    )
    db.commit()
    html = preview(evil).json()["html"] or ""
    assert "<img" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    # a record the user cannot read cannot be previewed
    other = make_user(db, "sales_rep")
    theirs = make_lead(db, other.actor, email="t@example.org")
    db.commit()
    assert preview(theirs).status_code == 404
    # sending with the template stores the rendered, cleaned message
    sent = client.post(
        "/api/v1/emails",
        headers=rep.headers,
        json={"record_type": "lead", "record_id": str(lead.id), "template_id": template_id},
    )
    assert sent.status_code == 201, sent.text
    assert sent.json()["template_id"] == template_id
    assert "<script" not in sent.json()["html"] and sent.json()["html"].startswith("<p>Hi Ana")


def test_template_ownership(client: Any, db: Any) -> None:
    rep = make_user(db, "sales_rep")
    other = make_user(db, "sales_rep")
    db.commit()
    made = client.post(
        "/api/v1/email-templates",
        headers=rep.headers,
        json={"name": "Mine", "subject": "S", "text": "T"},
    ).json()
    path = f"/api/v1/email-templates/{made['id']}"
    assert client.get(path, headers=other.headers).status_code == 200  # everyone reads
    assert client.patch(path, headers=other.headers, json={"name": "x"}).status_code == 403
    assert client.patch(path, headers=rep.headers, json={"name": "Renamed"}).json()["name"] == (
        "Renamed"
    )
    bad = client.patch(path, headers=rep.headers, json={"subject": "{{ ''.__class__ }}"})
    assert bad.status_code == 422 and fields(bad) == ["subject"]
    assert client.delete(path, headers=other.headers).status_code == 403
    assert client.delete(path, headers=rep.headers).status_code == 204
