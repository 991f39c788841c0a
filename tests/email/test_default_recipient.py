"""A message from a deal or an account with no ``to`` goes to its primary contact."""

from __future__ import annotations

from typing import Any

from tests.email.conftest import Pump, SmtpServer, configure
from tests.factories.account import make_account
from tests.factories.contact import make_contact
from tests.factories.deal import make_deal
from tests.factories.user import make_user


def test_a_deal_mails_its_primary_contact(
    client: Any, db: Any, smtp_server: SmtpServer, pump: Pump
) -> None:
    configure(db, smtp_server)
    rep = make_user(db, "sales_rep")
    account = make_account(db, rep.actor)
    contact = make_contact(db, rep.actor, first_name="Mia", last_name="Holm",
                           email="mia@holm.example", account_id=account.id)  # fmt: skip
    deal = make_deal(db, rep.actor, account_id=account.id, primary_contact_id=contact.id)
    bare = make_deal(db, rep.actor)
    db.commit()
    body = {"record_type": "deal", "subject": "Hi", "text": "x"}
    r = client.post("/api/v1/emails", headers=rep.headers, json={**body, "record_id": str(deal.id)})
    assert r.status_code == 201, r.text
    assert r.json()["to"] == [{"address": "mia@holm.example", "name": "Mia Holm"}]
    r = client.post("/api/v1/emails", headers=rep.headers, json={**body, "record_id": str(bare.id)})
    assert r.status_code == 422 and "name a recipient" in r.text
    assert pump() == {"sent": 1}
