"""The spec's email steps by clicking (lead flow 5–6, deal flow 8–11): a rep drafts an intro
from a lead with the assistant and sends it; on a deal with a quote, drafts the proposal,
sends it with the quote's PDF; the message arrives at a real SMTP server (aiosmtpd); the
customer's mail client loads the open pixel and follows a link (both logged on the deal's
timeline); the customer's reply, delivered into a real IMAP server (Dovecot), is fetched by
`nexa mail watch --once` and lands on the deal's timeline, threaded under the proposal."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import E2E, unique
from tests.email.conftest import SmtpServer
from tests.email.imap_server import DovecotServer, require_dovecot

pytestmark = [pytest.mark.live, pytest.mark.browser]
# an open this soon after delivery counts as a mail proxy's (NEXA_EMAIL_MACHINE_OPEN_SECONDS)
MACHINE_WINDOW = 10
MAIL_CLIENT = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Thunderbird/128.0"


@pytest.fixture(scope="module")
def smtp() -> Any:
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def imap() -> Any:
    server = DovecotServer(require_dovecot())
    server.start(spare_users=2)
    yield server
    server.cleanup()


def wait_for_mail(smtp: SmtpServer, count: int, seconds: float = 60) -> EmailMessage:
    deadline = time.monotonic() + seconds
    while len(smtp.received) < count and time.monotonic() < deadline:
        time.sleep(0.2)
    assert len(smtp.received) >= count, f"{len(smtp.received)} of {count} messages arrived"
    return smtp.received[count - 1].message


def on_live_server(e2e: E2E, url: str) -> str:
    """A link of a message (made with NEXA_PUBLIC_URL) on the test's live server."""
    parts = urlsplit(url)
    return f"{e2e.base}{parts.path}"


def email_card(page: Any, record: str) -> Any:
    card = page.locator("section.insight", has=page.locator(f'form[data-compose="{record}"]'))
    expect(card).to_be_visible(timeout=20_000)
    return card


def test_draft_send_track_and_reply_by_clicking(
    e2e: E2E, smtp: SmtpServer, imap: DovecotServer, tmp_path: Path
) -> None:
    u = unique()
    admin = e2e.api("admin")
    settings = {
        "host": "127.0.0.1",
        "port": smtp.port,
        "security": "none",
        "from_domain": "crm.example.com",
        "from_name": "Live CRM",
    }
    assert admin.put("/email/settings", json=settings).status_code == 200
    box_address, box_password = imap.new_user()
    box = e2e.create(
        "admin",
        "/email/mailboxes",
        {
            "address": box_address,
            "kind": "shared",
            "imap_host": "127.0.0.1",
            "imap_port": imap.port,
            "imap_security": "none",
            "imap_username": box_address,
            "imap_password": box_password,
        },
    )

    # ---- lead flow 5–6: the AI draft, then the personalised email --------------------------
    lead = e2e.create(
        "sales_rep",
        "/leads",
        {
            "first_name": "Sarah",
            "last_name": f"Chen{u}",
            "email": f"sarah.{u}@prospect.example",
            "company": f"Prospect {u}",
        },
    )
    page = e2e.page("sales_rep")
    page.goto(f"/leads/{lead['id']}")
    card = email_card(page, "lead")
    card.get_by_label("Intent").select_option("intro")
    card.locator('button[data-action="draft"]').click()
    expect(card.locator("[data-draft-generator=offline]")).to_be_visible()
    expect(card.locator("textarea[name=text]")).to_contain_text("Sarah")
    card.locator('button[data-action="send-email"]').click()
    expect(card.locator("[data-email-notice]")).to_be_visible()
    intro = wait_for_mail(smtp, 1)
    assert intro["To"].addresses[0].addr_spec == f"sarah.{u}@prospect.example"
    assert "Sarah" in intro.get_body(("plain",)).get_content()
    e2e.shot(page, "email-lead-sent")

    # ---- deal flow 8–11: quote, proposal by email, opened, reply ---------------------------
    account = e2e.create("sales_rep", "/accounts", {"name": f"Prospect {u} Ltd"})
    contact = e2e.create(
        "sales_rep",
        "/contacts",
        {
            "first_name": "Sarah",
            "last_name": f"Chen{u}",
            "email": f"sarah.c.{u}@prospect.example",
            "account_id": account["id"],
        },
    )
    deal = e2e.create(
        "sales_rep",
        "/deals",
        {
            "name": f"Prospect {u} rollout",
            "amount": "50000",
            "account_id": account["id"],
            "primary_contact_id": contact["id"],
        },
    )
    quote = e2e.create(
        "sales_rep",
        "/quotes",
        {
            "deal_id": deal["id"],
            "contact_id": contact["id"],
            "name": f"Rollout {u}",
            "currency": "EUR",
            "line_items": [{"name": "Seats", "quantity": "50", "unit_price": "1000"}],
        },
    )

    page.goto(f"/deals/{deal['id']}")
    card = email_card(page, "deal")
    card.get_by_label("Intent").select_option("proposal")
    card.get_by_label("Tone").select_option("formal")
    card.locator('button[data-action="draft"]').click()
    expect(card.locator("input[name=subject]")).to_have_value(f"Proposal for Prospect {u} rollout")
    body = card.locator("textarea[name=text]")
    expect(body).to_contain_text("Dear Sarah,")
    body.fill(body.input_value() + "\n\nThe plan in detail: https://example.com/plans/rollout")
    expect(card.locator(f'input[name=quote_ids][value="{quote["id"]}"]')).to_be_checked()
    card.locator('button[data-action="send-email"]').click()
    expect(card.locator("[data-email-notice]")).to_be_visible()
    proposal = wait_for_mail(smtp, 2)
    arrived = time.monotonic()
    assert proposal["To"].addresses[0].addr_spec == f"sarah.c.{u}@prospect.example"
    [pdf] = list(proposal.iter_attachments())
    assert pdf.get_filename() == f"{quote['number']}.pdf"
    assert pdf.get_content()[:5] == b"%PDF-"
    html = proposal.get_body(("html",)).get_content()
    pixel = html.split('<img src="', 1)[1].split('"', 1)[0]
    link = html.split('<a href="', 1)[1].split('"', 1)[0]
    assert "/e/o/" in pixel and "/e/c/" in link

    # the customer's mail client, a little after delivery (sooner is a proxy's prefetch)
    time.sleep(max(0.0, MACHINE_WINDOW + 1 - (time.monotonic() - arrived)))
    with httpx.Client(headers={"User-Agent": MAIL_CLIENT}, timeout=20) as client:
        opened = client.get(on_live_server(e2e, pixel))
        assert opened.status_code == 200 and opened.headers["content-type"] == "image/gif"
        clicked = client.get(on_live_server(e2e, link), follow_redirects=False)
        assert clicked.status_code in (302, 303, 307)
        assert clicked.headers["location"] == "https://example.com/plans/rollout"

    # the customer answers; the reply reaches the shared mailbox
    reply = EmailMessage(policy=policy.SMTP)
    reply["From"] = f"Sarah Chen <sarah.c.{u}@prospect.example>"
    reply["To"] = box_address
    reply["Subject"] = f"Re: {proposal['Subject']}"
    reply["Message-ID"] = make_msgid(domain="prospect.example")
    reply["In-Reply-To"] = proposal["Message-ID"]
    reply["References"] = proposal["Message-ID"]
    reply.set_content("Thank you, this looks right. Can we start in March?")
    imap.append(box_address, reply.as_bytes())
    env = {
        **os.environ,
        "NEXA_DATABASE_URL": e2e.server.database_url,
        "NEXA_VAR_DIR": str(tmp_path),
    }
    nexa = str(Path(sys.executable).parent / "nexa")
    fetched = subprocess.run(
        [nexa, "mail", "watch", "--once"], env=env, capture_output=True, text=True, timeout=180
    )
    assert fetched.returncode == 0, fetched.stdout + fetched.stderr

    page.goto(f"/deals/{deal['id']}")
    timeline = page.locator("ol.timeline")
    expect(timeline.locator(".t-summary", has_text="Opened an email")).to_be_visible()
    expect(timeline.locator(".t-summary", has_text="Clicked a link in an email")).to_be_visible()
    expect(timeline.locator("li", has_text=f"Re: {proposal['Subject']}").first).to_be_visible()
    e2e.shot(page, "email-deal-timeline")

    sent = e2e.api("sales_rep").get("/emails", params={"record_id": deal["id"]}).json()["items"]
    ours = next(m for m in sent if m["message_id"] == proposal["Message-ID"])
    assert ours["engagement"]["opens"] == 1 and ours["engagement"]["clicks"] == 1
    thread = e2e.api("sales_rep").get(f"/email-threads/{ours['thread_id']}").json()
    assert [m["direction"] for m in thread["messages"]] == ["out", "in"]
    assert thread["messages"][1]["in_reply_to"] == proposal["Message-ID"]
    assert box["address"] == box_address

    # the conversation on the proposal's page
    page.goto(f"/email/messages/{ours['id']}")
    conversation = page.locator("section[data-thread]")
    expect(conversation.locator("[data-direction=in]")).to_contain_text("Sarah Chen")
    expect(page.locator("[data-attachment]")).to_contain_text(f"{quote['number']}.pdf")
    e2e.shot(page, "email-conversation")
    assert message_from_bytes(reply.as_bytes())["In-Reply-To"] == proposal["Message-ID"]
