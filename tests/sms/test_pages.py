"""/admin/sms: the provider form (secrets write-only, kept when left empty), a private
provider URL refused next to its field, the inbound address, and the recent messages; admins
only."""

from __future__ import annotations

from typing import Any

from nexa.core.actor import SYSTEM
from nexa.sms import service
from nexa.sms.schemas import SmsSend
from tests.factories.lead import make_lead
from tests.sms.conftest import Provider, Pump
from tests.web.conftest import form_post, sign_in


def settings_form(provider: Provider, **extra: Any) -> dict[str, Any]:
    return {
        "provider": "twilio",
        "from_number": "+15555550199",
        "account_sid": "AC42",
        "auth_token": "",
        "base_url": provider.base_url,
        "http_url": "",
        "http_header": "Authorization",
        "http_secret": "",
        "allowed_hosts": "127.0.0.1",
        **extra,
    }


def test_admin_sets_up_the_provider_and_sees_messages(
    client: Any, db: Any, users: Any, provider: Provider, pump: Pump
) -> None:
    csrf = sign_in(client, users.admin)
    page = client.get("/admin/sms")
    assert page.status_code == 200 and 'href="/admin/sms"' in page.text
    assert "No text messages yet." in page.text
    r = form_post(
        client, "/admin/sms/settings", csrf, settings_form(provider, auth_token="T0ken-secret")
    )
    assert r.status_code in (200, 303), r.text
    page = client.get("/admin/sms").text
    assert "T0ken-secret" not in page and "A token is stored" in page
    assert "/sms/inbound/" in page
    form_post(client, "/admin/sms/settings", csrf, settings_form(provider))  # token kept
    assert service.provider_config(db).auth_token == "T0ken-secret"  # type: ignore[union-attr]

    bad = form_post(
        client,
        "/admin/sms/settings",
        csrf,
        settings_form(provider, base_url="http://10.9.8.7", allowed_hosts=""),
    )
    assert bad.status_code == 422 and 'id="f-base_url-error"' in bad.text

    lead = make_lead(db, phone="+15555550190")
    service.send(db, SYSTEM, SmsSend(record_type="lead", record_id=lead.id, body="Hello there"))
    pump()
    page = client.get("/admin/sms").text
    assert "Hello there" in page and "+15555550190" in page


def test_a_rep_cannot_open_the_page(client: Any, users: Any) -> None:
    sign_in(client, users.rep)
    assert client.get("/admin/sms").status_code == 403
