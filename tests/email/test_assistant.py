"""The drafting assistant (POST /api/v1/emails/draft): every intent and tone from records with
many facts and with none, checked by this test's own reading of the records (no name, company,
amount or date the records do not hold); the organization's template with the best reply rate
chosen; a reply names the message it answers; with no endpoint configured no socket is opened;
with one, the client is tried against a loopback server that speaks the chat-completions API
(no llama.cpp or Ollama server can be installed here), its invented names refused."""

from __future__ import annotations

import json
import re
import sys
import threading
import uuid
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace
from typing import Any

import pytest

from nexa.config import get_settings
from nexa.core.db import utcnow
from nexa.email import service
from nexa.email.schemas import EmailTemplateIn
from nexa.intelligence.drafting import INTENTS, TONES, DraftFacts, unsupported
from nexa.models import EmailMessage
from tests.email.conftest import SmtpServer, configure
from tests.factories.account import make_account
from tests.factories.call import make_call
from tests.factories.contact import make_contact
from tests.factories.deal import make_deal
from tests.factories.lead import make_lead
from tests.factories.meeting import make_meeting
from tests.factories.task import make_task
from tests.factories.user import make_user

MONTHS = {"january", "february", "march", "april", "may", "june", "july", "august",
          "september", "october", "november", "december"}  # fmt: skip
WORD = re.compile(r"[^\W_][\w'’.,-]*")


def record_words(*rows: Any, extra: tuple[str, ...] = ()) -> set[str]:
    """Every word the records hold, dates written out the way a person would."""
    words: set[str] = set()
    for row in rows:
        for value in vars(row).values():
            if value is None or isinstance(value, dict | list):
                continue
            if hasattr(value, "strftime"):
                words |= {str(value.day), value.strftime("%B").casefold(), str(value.year)}
            elif isinstance(value, Decimal | int | float):
                words |= {f"{value:,.0f}", f"{value:,.2f}", str(value)}
            else:
                words |= {w.strip(".,'’-").casefold() for w in WORD.findall(str(value))}
    return words | {w.casefold() for w in extra}


def invented(text: str, allowed: set[str]) -> list[str]:
    """Names, amounts and dates in ``text`` the records do not hold: a capitalised word that
    does not start a sentence or a line (and is not "I"), a word with a digit, a month."""
    found = []
    for match in WORD.finditer(text):
        word = match.group(0).strip(".,'’-")
        before = text[: match.start()].rstrip(" ")
        starts = before == "" or before.endswith(("\n", ".", "!", "?", ":", "\u201c"))
        if (
            any(c.isdigit() for c in word)
            or word.casefold() in MONTHS
            or (word[:1].isupper() and not starts and word not in {"I", "Re"})
        ) and word.casefold() not in allowed:
            found.append(word)
    return found


def draft(client: Any, headers: Any, record: Any, record_type: str, **body: Any) -> Any:
    payload = {"record_type": record_type, "record_id": str(record.id), **body}
    return client.post("/api/v1/emails/draft", headers=headers, json=payload)


def test_the_checker_of_this_test_finds_an_invented_name() -> None:
    allowed = record_words(SimpleNamespace(first_name="Ann"))
    text = "Hi Ann,\n\nI met Bob Stone on 5 May about 12,000 euros."
    assert invented(text, allowed) == ["Bob", "Stone", "5", "May", "12,000"]
    facts = DraftFacts(organization="Org", first_name="Ann")
    assert unsupported(text, facts) == ["Bob", "Stone", "5", "May", "12,000"]


@pytest.mark.parametrize("rich", [True, False], ids=["many facts", "no facts"])
def test_every_intent_and_tone_names_only_what_the_records_hold(
    client: Any, db: Any, smtp_server: SmtpServer, rich: bool
) -> None:
    configure(db, smtp_server)
    rep = make_user(db, "sales_rep", name="Rita Quennell")
    account = make_account(db, rep.actor, name="Zanzibar Widgets")
    contact = make_contact(
        db, rep.actor, first_name="Oksana", last_name="Vrubel", email="o@zanzibar.example",
        account_id=account.id,
    )  # fmt: skip
    rows: list[Any] = [account, contact, rep.user]
    if rich:
        deal = make_deal(
            db, rep.actor, name="Zanzibar Rollout", amount=Decimal("48250"), account_id=account.id,
            primary_contact_id=contact.id, close_date=(utcnow() + timedelta(days=40)).date(),
        )  # fmt: skip
        call = make_call(
            db, rep.actor, subject="Pricing call", related_type="contact",
            related_id=contact.id, started_at=utcnow() - timedelta(days=3),
            notes="Oksana wants a pilot for the Tallinn office. Budget later.",
        )  # fmt: skip
        task = make_task(
            db, rep.actor, title="Send the Tallinn pilot plan", related_type="contact",
            related_id=contact.id, due_at=utcnow() + timedelta(days=2),
        )  # fmt: skip
        rows += [deal, call, task]
    reply_to = EmailMessage(
        id=uuid.uuid4(), message_id=f"<{uuid.uuid4().hex}@zanzibar.example>", kind="transactional",
        state="sent", from_name="Oksana Vrubel", from_address="o@zanzibar.example",
        from_domain="zanzibar.example", to=[], cc=[], bcc=[], subject="Re: Pricing for Tallinn",
        text_body="Could you send the prices for Tallinn? Thanks.", related_type="contact",
        related_id=contact.id, owner_id=rep.user.id,
    )  # fmt: skip
    db.add(reply_to)
    db.commit()
    rows.append(reply_to)
    # the organization's name and the product's own sign-off words are not the record's
    allowed = record_words(*rows, SimpleNamespace(organization=get_settings().org_name))

    for intent in INTENTS:
        for tone in TONES:
            extra = {"reply_to_id": str(reply_to.id)} if intent == "reply" else {}
            response = draft(client, rep.headers, contact, "contact", intent=intent, tone=tone,
                             **extra)  # fmt: skip
            assert response.status_code == 200, response.text
            out = response.json()
            assert out["generator"] == "offline" and out["model_version"]
            text = f"{out['subject']}\n{out['text']}"
            assert invented(text, allowed) == [], (intent, tone, text)
            if rich and intent == "proposal" and tone != "brief":
                assert "48,250" in out["text"] and "Zanzibar Rollout" in out["subject"]
            if rich and intent == "follow_up" and tone == "formal":
                assert "Oksana wants a pilot for the Tallinn office." in out["text"]
                assert "Send the Tallinn pilot plan" in out["text"]
            if not rich:
                assert "Zanzibar Rollout" not in text and "call on" not in text
            if intent == "reply":
                assert out["subject"] == "Re: Pricing for Tallinn"
            names = {f["name"] for f in out["facts"]}
            if intent in ("follow_up", "proposal", "meeting_request"):
                assert ("deal_name" in names) == rich, (intent, tone, names)
            if intent == "intro":
                assert "deal_name" not in names


def test_the_template_with_the_best_reply_rate_is_the_body(
    client: Any, db: Any, smtp_server: SmtpServer
) -> None:
    configure(db, smtp_server)
    rep = make_user(db, "sales_rep")
    lead = make_lead(db, rep.actor, first_name="Ann", email="ann@example.org")
    good = service.create_template(db, rep.actor, EmailTemplateIn(
        name="Good", subject="Good news, {{ lead.first_name }}", text="Replied-to text.",
        intent="follow_up"))  # fmt: skip
    poor = service.create_template(db, rep.actor, EmailTemplateIn(
        name="Aaa poor", subject="Poor", text="Ignored text.", intent="follow_up"))  # fmt: skip
    service.create_template(db, rep.actor, EmailTemplateIn(
        name="Other intent", subject="Intro", text="Intro text.", intent="intro"))  # fmt: skip
    now = utcnow()
    for template, replies in ((good, 6), (poor, 0)):
        for n in range(10):
            db.add(EmailMessage(
                id=uuid.uuid4(), message_id=f"<{uuid.uuid4().hex}@x>", kind="transactional",
                state="sent", from_name="", from_address="a@x", from_domain="x", to=[], cc=[],
                bcc=[], subject="s", text_body="t", template_id=template.id, sent_at=now,
                replied_at=now if n < replies else None, owner_id=rep.user.id))  # fmt: skip
    db.commit()
    out = draft(client, rep.headers, lead, "lead", intent="follow_up").json()
    assert out["template_id"] == str(good.id)
    assert out["subject"] == "Good news, Ann"
    assert "Replied-to text." in out["text"]
    assert out["template_reply_rate"] == round(7 / 12, 3)


def test_bad_requests_are_422_and_unreadable_records_404(
    client: Any, db: Any, smtp_server: SmtpServer
) -> None:
    configure(db, smtp_server)
    rep = make_user(db, "sales_rep")
    other = make_user(db, "sales_rep")
    lead = make_lead(db, rep.actor, email="a@example.org")
    theirs = make_lead(db, other.actor, email="b@example.org")
    db.commit()
    response = draft(client, rep.headers, lead, "lead", intent="reply")
    assert response.status_code == 422 and "reply_to_id" in response.text
    response = draft(client, rep.headers, lead, "lead", intent="poem")
    assert response.status_code == 422
    response = draft(client, rep.headers, lead, "lead", intent="intro", tone="angry")
    assert response.status_code == 422
    assert draft(client, rep.headers, theirs, "lead", intent="intro").status_code == 404
    response = draft(client, rep.headers, lead, "lead", intent="reply",
                     reply_to_id=str(uuid.uuid4()))  # fmt: skip
    assert response.status_code == 422


# ---- no data leaves the server; the optional endpoint --------------------------------------

_connects: list[Any] = []
_watching = threading.Event()


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if event == "socket.connect" and _watching.is_set():
        _connects.append(args[1])


sys.addaudithook(_audit)  # hooks cannot be removed: this one records only while watching


def test_without_an_endpoint_drafting_opens_no_socket(
    client: Any, db: Any, smtp_server: SmtpServer
) -> None:
    configure(db, smtp_server)
    rep = make_user(db, "sales_rep")
    lead = make_lead(db, rep.actor, first_name="Ann", email="ann@example.org")
    db.commit()
    from nexa.email.assistant import draft as draft_service
    from nexa.email.schemas import DraftIn

    assert get_settings().assistant_url is None
    _connects.clear()
    _watching.set()
    try:
        for intent in ("follow_up", "intro", "proposal"):
            draft_service(db, rep.actor, DraftIn(record_type="lead", record_id=lead.id,
                                                 intent=intent))  # fmt: skip
    finally:
        _watching.clear()
    assert _connects == []


class ChatCompletions:
    """A loopback server speaking the chat-completions API: answers each POST with ``reply``
    (or ``status``) and keeps the request bodies."""

    def __init__(self) -> None:
        self.reply = ""
        self.status = 200
        self.requests: list[dict[str, Any]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                outer.requests.append({"path": self.path, "auth": self.headers.get(
                    "Authorization"), "body": json.loads(self.rfile.read(length))})  # fmt: skip
                body = json.dumps({"id": "x", "object": "chat.completion", "choices": [
                    {"index": 0, "message": {"role": "assistant", "content": outer.reply},
                     "finish_reason": "stop"}]}).encode()  # fmt: skip
                self.send_response(outer.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def chat() -> Iterator[ChatCompletions]:
    server = ChatCompletions()
    yield server
    server.server.shutdown()
    server.server.server_close()


def test_an_endpoint_rewrites_the_draft_and_its_inventions_are_refused(
    client: Any, db: Any, smtp_server: SmtpServer, chat: ChatCompletions, monkeypatch: Any
) -> None:
    configure(db, smtp_server)
    rep = make_user(db, "sales_rep", name="Rita Quennell")
    lead = make_lead(
        db, rep.actor, first_name="Ann", company="Orbital Tea", email="a@orbital.example"
    )
    make_meeting(db, rep.actor, title="Demo", related_type="lead", related_id=lead.id,
                 starts_at=utcnow() - timedelta(days=2))  # fmt: skip
    db.commit()
    settings = get_settings()
    monkeypatch.setattr(settings, "assistant_url", chat.url)
    monkeypatch.setattr(settings, "assistant_model", "llama-3-8b-instruct")
    monkeypatch.setattr(settings, "assistant_api_key", "local-key")

    chat.reply = "Hello Ann,\n\nThanks for the meeting. Shall we talk about Orbital Tea next week?"
    out = draft(client, rep.headers, lead, "lead", intent="follow_up", tone="brief").json()
    assert out["generator"] == "endpoint" and out["model_version"] == "llama-3-8b-instruct"
    assert out["text"] == chat.reply and out["notes"] == []
    sent = chat.requests[-1]
    assert sent["path"] == "/v1/chat/completions" and sent["auth"] == "Bearer local-key"
    assert sent["body"]["model"] == "llama-3-8b-instruct"
    assert "Orbital Tea" in sent["body"]["messages"][1]["content"]

    chat.reply = "Hi Ann, Bob Marley from Acme will call you on 12 March about the 90,000 deal."
    out = draft(client, rep.headers, lead, "lead", intent="follow_up").json()
    assert out["generator"] == "offline"
    assert "Bob" in out["notes"][0] and "Bob" not in out["text"]

    chat.status = 500
    out = draft(client, rep.headers, lead, "lead", intent="intro").json()
    assert out["generator"] == "offline" and "failed" in out["notes"][0]
