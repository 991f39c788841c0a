"""Open and click tracking: links rewritten while the HTML is cleaned, the pixel appended, the
originals kept on the row; the pixel and tracked links answered publicly through signed
tokens (forged, altered or expired: nothing recorded, never a redirect, never a 5xx); machine
opens flagged and kept out of rates; a person's open and click published to the timeline."""

from __future__ import annotations

import time
import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from nexa.config import get_settings
from nexa.core.actor import SYSTEM
from nexa.core.db import utcnow
from nexa.core.events import OutboxMessage
from nexa.core.repository import unscoped
from nexa.email import engagement, service, tracking
from nexa.email.schemas import EmailPolicyIn
from nexa.models import Activity, EmailEvent, EmailMessage
from tests.email.conftest import Pump, SmtpServer, configure
from tests.factories.lead import make_lead
from tests.factories.user import make_user
from tests.query_counts import count_queries

HTML = (
    '<p>Hi {{ lead.first_name }}, see <a href="https://shop.example.com/offer?a=1&amp;b=2">'
    'the offer</a>, <a href="https://docs.example.com/">the docs</a>, again <a '
    'href="https://shop.example.com/offer?a=1&amp;b=2">the offer</a> or <a '
    'href="mailto:help@example.com">write</a>.</p>'
)
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0"
GMAIL = "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)"
APPLE_MPP = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko)"
)


def row(db: Any, row_id: str) -> EmailMessage:
    stmt = unscoped(select(EmailMessage).where(EmailMessage.id == uuid.UUID(row_id)))
    found = db.scalars(stmt.execution_options(populate_existing=True)).one()
    assert isinstance(found, EmailMessage)
    return found


def delivered_before(db: Any, row_id: str, ago: timedelta) -> Any:
    """Move a message's delivery time into the past (the worker delivers at "now")."""
    message = row(db, row_id)
    message.sent_at = utcnow() - ago
    db.commit()
    return message.sent_at


def events(db: Any, row_id: str) -> list[EmailEvent]:
    stmt = select(EmailEvent).where(EmailEvent.message_id == uuid.UUID(row_id))
    return list(db.scalars(stmt.order_by(EmailEvent.at)))


def published(db: Any, row_id: str, name: str) -> list[OutboxMessage]:
    stmt = select(OutboxMessage).where(
        OutboxMessage.record_id == uuid.UUID(row_id), OutboxMessage.event == name
    )
    return list(db.scalars(stmt))


def tokens(html: str, path: str) -> list[str]:
    return [part.split('"', 1)[0] for part in html.split(path)[1:]]


@pytest.fixture
def sent(client: Any, db: Any, smtp_server: SmtpServer, pump: Pump) -> Any:
    """A marketing message with links, delivered an hour ago (opens now are not "seconds
    after delivery")."""
    configure(db, smtp_server)
    rep = make_user(db, "sales_rep")
    lead = make_lead(db, rep.actor, first_name="Ada", email="ada@example.org")
    db.commit()
    response = client.post(
        "/api/v1/emails",
        headers=rep.headers,
        json={
            "record_type": "lead",
            "record_id": str(lead.id),
            "subject": "Our offer",
            "html": HTML,
            "kind": "marketing",
        },
    )
    assert response.status_code == 201, response.text
    assert pump() == {"sent": 1}
    out = response.json()
    delivered_before(db, out["id"], timedelta(hours=1))
    html = row(db, out["id"]).html_body or ""

    class Sent:
        id = out["id"]
        user = rep
        lead_id = lead.id
        clicks = tokens(html, tracking.CLICK_PATH)
        pixel = tokens(html, tracking.OPEN_PATH)[0]
        received = smtp_server.received[0].message

    return Sent


def test_links_are_rewritten_once_and_the_pixel_added(db: Any, sent: Any) -> None:
    message = row(db, sent.id)
    assert message.tracked is True
    # one index per distinct URL, entities decoded; mailto is left alone
    assert message.links == ["https://shop.example.com/offer?a=1&b=2", "https://docs.example.com/"]
    html = message.html_body or ""
    assert "shop.example.com" not in html and "docs.example.com" not in html
    assert 'href="mailto:help@example.com"' in html
    assert len(sent.clicks) == 3 and sent.clicks[0] == sent.clicks[2]
    assert html.endswith('width="1" height="1" alt="">')
    base = get_settings().public_url.rstrip("/")
    assert f'src="{base}/e/o/' in html
    # what went over SMTP is the tracked HTML
    delivered = sent.received.get_body(("html",)).get_content()
    assert tracking.CLICK_PATH + sent.clicks[1] in delivered
    # the plain-text alternative made from the HTML carries no tracking address
    assert "/e/c/" not in (message.text_body or "")


def test_a_click_redirects_to_the_stored_url_and_is_published(
    client: Any, db: Any, sent: Any
) -> None:
    response = client.get(
        f"/e/c/{sent.clicks[1]}", headers={"User-Agent": BROWSER}, follow_redirects=False
    )
    assert response.status_code == 302
    assert response.headers["location"] == "https://docs.example.com/"
    assert "no-store" in response.headers["cache-control"]
    message = row(db, sent.id)
    assert (message.clicks, message.machine_clicks) == (1, 0)
    assert message.first_clicked_at is not None
    (event,) = events(db, sent.id)
    assert (event.kind, event.url, event.machine) == ("click", "https://docs.example.com/", False)
    assert event.user_agent == BROWSER and event.ip
    (outbox,) = published(db, sent.id, "email.clicked")
    assert outbox.payload["url"] == "https://docs.example.com/"
    assert outbox.payload["related_id"] == str(sent.lead_id)
    # on the lead's timeline
    stmt = select(Activity).where(
        Activity.record_id == sent.lead_id, Activity.event == "email.clicked"
    )
    (entry,) = db.scalars(stmt).all()
    assert "The recipient clicked" in entry.summary
    # each click counts and publishes
    client.get(f"/e/c/{sent.clicks[0]}", headers={"User-Agent": BROWSER}, follow_redirects=False)
    assert row(db, sent.id).clicks == 2
    assert len(published(db, sent.id, "email.clicked")) == 2


def _flip(token: str) -> str:
    """The token with one bit of its signature changed."""
    last = token[-2]
    return token[:-2] + ("A" if last != "A" else "B") + token[-1]


def test_forged_expired_or_foreign_click_tokens_are_404_pages_never_redirects(
    client: Any, db: Any, sent: Any
) -> None:
    key = get_settings().effective_secret_key
    row_id = uuid.UUID(sent.id)
    max_age = get_settings().email_tracking_max_age_days * 86400
    bad = {
        "bit flipped": _flip(sent.clicks[0]),
        "other message id, reused signature": uuid.uuid4().hex + sent.clicks[0][32:],
        "expired": tracking.click_token(row_id, 0, key, now=time.time() - max_age - 60),
        "link 99 of a real message": tracking.click_token(row_id, 99, key),
        "an open token": sent.pixel,
        "signed with another key": tracking.click_token(row_id, 0, "another key " * 4),
        "garbage": "x" * 300,
    }
    for what, token in bad.items():
        response = client.get(f"/e/c/{token}", follow_redirects=False)
        assert response.status_code == 404, what
        assert "location" not in response.headers, what
        assert "not valid" in response.text, what
    # a URL in place of the token is no route at all
    response = client.get("/e/c/https%3A%2F%2Fevil.example.com", follow_redirects=False)
    assert response.status_code == 404 and "location" not in response.headers
    message = row(db, sent.id)
    assert (message.clicks, message.machine_clicks) == (0, 0)
    assert events(db, sent.id) == []


def test_the_pixel_is_always_a_gif_and_records_only_valid_tokens(
    client: Any, db: Any, sent: Any
) -> None:
    key = get_settings().effective_secret_key
    max_age = get_settings().email_tracking_max_age_days * 86400
    expired = tracking.open_token(uuid.UUID(sent.id), key, now=time.time() - max_age - 60)
    for token in (_flip(sent.pixel), expired, sent.clicks[0], "nothing"):
        response = client.get(f"/e/o/{token}", headers={"User-Agent": BROWSER})
        assert response.status_code == 200
        assert response.headers["content-type"] == "image/gif"
        assert response.content == tracking.PIXEL
    assert events(db, sent.id) == []
    response = client.get(f"/e/o/{sent.pixel}", headers={"User-Agent": BROWSER})
    assert response.status_code == 200 and response.content.startswith(b"GIF89a")
    assert "no-store" in response.headers["cache-control"]
    message = row(db, sent.id)
    assert (message.opens, message.machine_opens) == (1, 0)
    assert message.first_opened_at is not None
    assert len(published(db, sent.id, "email.opened")) == 1
    # a second open counts but is not published again
    client.get(f"/e/o/{sent.pixel}", headers={"User-Agent": BROWSER})
    assert row(db, sent.id).opens == 2
    assert len(published(db, sent.id, "email.opened")) == 1
    detail = client.get(f"/api/v1/emails/{sent.id}", headers=sent.user.headers).json()
    assert detail["engagement"]["opens"] == 2 and detail["engagement"]["machine_opens"] == 0
    assert detail["subscription"] == "marketing"


@pytest.mark.parametrize(
    ("agent", "seconds_after", "machine"),
    [
        (BROWSER, 3600, False),
        (BROWSER, 2, True),  # seconds after delivery: a prefetch
        (GMAIL, 20, True),
        (GMAIL, 3600, False),  # Gmail fetches through its proxy when a person opens
        ("YahooMailProxy; https://help.yahoo.com/kb/yahoo-mail-proxy-SLN28749.html", 30, True),
        ("Mozilla/5.0", 3600, True),  # Apple Mail Privacy Protection
        (APPLE_MPP, 3600, True),
        ("python-requests/2.32", 3600, True),
        ("Barracuda Sentinel (EE)", 3600, True),
        ("", 3600, True),
    ],
)
def test_machine_opens(agent: str, seconds_after: int, machine: bool) -> None:
    sent_at = utcnow()
    at = sent_at + timedelta(seconds=seconds_after)
    assert tracking.is_machine(agent, sent_at, at, 10.0) is machine
    assert tracking.is_machine(BROWSER, None, at, 10.0) is True  # before delivery recorded


def test_machine_opens_are_kept_out_of_rates_and_off_the_timeline(
    client: Any, db: Any, smtp_server: SmtpServer, pump: Pump
) -> None:
    configure(db, smtp_server)
    rep = make_user(db, "sales_rep")
    admin = make_user(db, "admin")
    ids = []
    for n in range(2):
        lead = make_lead(db, rep.actor, email=f"reader{n}@example.org")
        db.commit()
        body = {"record_type": "lead", "record_id": str(lead.id), "subject": "News",
                "html": "<p>news</p>", "kind": "marketing"}  # fmt: skip
        ids.append(client.post("/api/v1/emails", headers=rep.headers, json=body).json()["id"])
    assert pump() == {"sent": 2}
    delivered = delivered_before(db, ids[0], timedelta(minutes=5))
    delivered_before(db, ids[1], timedelta(minutes=5))
    pixels = [tokens(row(db, i).html_body or "", tracking.OPEN_PATH)[0] for i in ids]
    # the first message: only a scanner and a prefetch right at delivery
    engagement.record_open(db, pixels[0], user_agent="Mimecast link scanner", ip="192.0.2.1")
    engagement.record_open(db, pixels[0], user_agent=BROWSER, now=delivered + timedelta(seconds=1))
    # the second: a person
    engagement.record_open(db, pixels[1], user_agent=BROWSER, ip="192.0.2.2")
    db.commit()
    first, second = row(db, ids[0]), row(db, ids[1])
    assert (first.opens, first.machine_opens, first.first_opened_at) == (0, 2, None)
    assert (second.opens, second.machine_opens) == (1, 0)
    assert [e.machine for e in events(db, ids[0])] == [True, True]
    assert published(db, ids[0], "email.opened") == []
    stats = client.get("/api/v1/email/stats", headers=admin.headers).json()
    assert stats["sent"] == 2 and stats["opened"] == 1 and stats["open_rate"] == 0.5


def test_recording_an_open_is_a_bounded_number_of_statements(db: Any, sent: Any) -> None:
    with count_queries() as first:
        assert engagement.record_open(db, sent.pixel, user_agent=BROWSER, ip="192.0.2.9")
        db.flush()
    with count_queries() as again:
        assert engagement.record_open(db, sent.pixel, user_agent=BROWSER, ip="192.0.2.9")
        db.flush()
    with count_queries() as forged:
        assert not engagement.record_open(db, _flip(sent.pixel), user_agent=BROWSER)
    # the row, the counter UPDATE, the event; a person's first open also publishes: the
    # audit row, the timeline entry, the outbox row, and the subscribers' work (the lead is
    # rescored on engagement: 3 statements) — 9 measured
    assert len(again) <= 3, again
    assert len(first) <= 10, first
    assert forged == []


def test_no_tracking_when_the_organization_or_the_message_says_so(
    client: Any, db: Any, smtp_server: SmtpServer
) -> None:
    configure(db, smtp_server)
    rep = make_user(db, "sales_rep")
    lead = make_lead(db, rep.actor, email="quiet@example.org")
    db.commit()
    body = {"record_type": "lead", "record_id": str(lead.id), "subject": "Hi", "html": HTML}
    untracked = client.post("/api/v1/emails", headers=rep.headers, json={**body, "track": False})
    html = untracked.json()["html"]
    assert "https://docs.example.com/" in html and "/e/o/" not in html
    assert untracked.json()["engagement"]["tracked"] is False
    service.put_policy(db, SYSTEM, EmailPolicyIn(tracking=False))
    db.commit()
    off = client.post("/api/v1/emails", headers=rep.headers, json=body).json()
    assert "/e/c/" not in off["html"] and row(db, off["id"]).links is None


def test_the_events_are_in_the_webhook_catalogue(client: Any, users: Any) -> None:
    response = client.get("/api/v1/webhooks/events", headers=users.admin.headers)
    catalogue = {e["name"]: e for e in response.json()["items"]}
    clicked = catalogue["email.clicked"]["payload"]["properties"]
    assert {"message_id", "related_type", "related_id", "url", "machine"} <= set(clicked)
    unsubscribed = catalogue["email.unsubscribed"]["payload"]["properties"]
    assert unsubscribed["types"] == {"type": "array", "items": {"type": "string"}}
    assert "email.opened" in catalogue
