"""The SMS settings (admins): a provider URL that points at a private, loopback or metadata
address is refused at save with a 422 naming the field (unless its host is allow-listed);
secrets are stored encrypted, never returned, and kept when left out."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from nexa.core import outbound
from nexa.core.actor import SYSTEM
from nexa.models import OrgSetting
from nexa.sms import service
from nexa.sms.schemas import SmsSettingsIn

TWILIO = {"provider": "twilio", "from_number": "+15555550199", "account_sid": "AC1"}


@pytest.fixture(autouse=True)
def dns() -> Iterator[None]:
    """This machine has no DNS: names resolve from this table."""
    table = {"sms.internal.example": ["10.1.2.3"], "api.sms.example": ["93.184.216.34"]}

    def resolve(host: str, port: int) -> list[str]:
        if host not in table:
            raise OSError(f"{host} does not resolve")
        return table[host]

    previous = outbound.use_resolver(resolve)
    yield
    outbound.use_resolver(previous)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({**TWILIO, "auth_token": "t", "base_url": "http://10.0.0.5"}, "base_url"),
        ({**TWILIO, "auth_token": "t", "base_url": "http://127.0.0.1:8080"}, "base_url"),
        ({**TWILIO, "auth_token": "t", "base_url": "http://0x7f.1/"}, "base_url"),
        ({**TWILIO, "auth_token": "t", "base_url": "https://sms.internal.example"}, "base_url"),
        (
            {
                "provider": "http",
                "from_number": "+15555550199",
                "http_url": "http://169.254.169.254/",
            },
            "http_url",
        ),
        (
            {"provider": "http", "from_number": "+15555550199", "http_url": "file:///etc/passwd"},
            "http_url",
        ),
    ],
)
def test_a_private_provider_url_is_refused_naming_the_field(
    client: Any, users: Any, fields: dict[str, Any], field: str
) -> None:
    response = client.put("/api/v1/sms/settings", json=fields, headers=users.admin.headers)
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == field


def test_a_public_url_is_accepted_and_an_allow_listed_host_too(db: Any) -> None:
    saved = service.put_sms_settings(
        db, SYSTEM, SmsSettingsIn(**TWILIO, auth_token="t", base_url="https://api.sms.example")
    )
    assert saved.base_url == "https://api.sms.example"
    saved = service.put_sms_settings(
        db,
        SYSTEM,
        SmsSettingsIn(
            **TWILIO, base_url="http://10.0.0.5", allowed_hosts=["10.0.0.5"]
        ),  # the stored token is kept
    )
    assert saved.base_url == "http://10.0.0.5" and saved.auth_token_set


def test_secrets_are_encrypted_and_never_returned(client: Any, db: Any, users: Any) -> None:
    body = {**TWILIO, "auth_token": "very-secret-token", "base_url": "https://api.sms.example"}
    response = client.put("/api/v1/sms/settings", json=body, headers=users.admin.headers)
    assert response.status_code == 200, response.text
    shown = client.get("/api/v1/sms/settings", headers=users.admin.headers).json()
    assert shown["auth_token_set"] is True and "very-secret-token" not in str(shown)
    assert shown["inbound_path"].startswith("/sms/inbound/") and len(shown["inbound_path"]) > 30
    stored = db.get(OrgSetting, "sms.settings").value
    assert "very-secret-token" not in str(stored)
    assert service.provider_config(db).auth_token == "very-secret-token"  # type: ignore[union-attr]
    # the inbound token stays the same across saves
    client.put("/api/v1/sms/settings", json=body, headers=users.admin.headers)
    again = client.get("/api/v1/sms/settings", headers=users.admin.headers).json()
    assert again["inbound_path"] == shown["inbound_path"]


def test_twilio_needs_its_credentials_and_a_number(client: Any, users: Any) -> None:
    cases = [
        ({"provider": "twilio", "account_sid": "AC1", "auth_token": "t"}, "from_number"),
        ({**TWILIO, "account_sid": "", "auth_token": "t"}, "account_sid"),
        (TWILIO, "auth_token"),
        ({**TWILIO, "from_number": "not a number", "auth_token": "t"}, "from_number"),
    ]
    for body, field in cases:
        response = client.put("/api/v1/sms/settings", json=body, headers=users.admin.headers)
        assert response.status_code == 422, (body, response.text)
        assert response.json()["errors"][0]["field"] == field


def test_only_admins_change_the_settings(client: Any, users: Any) -> None:
    response = client.put(
        "/api/v1/sms/settings", json={"provider": "log"}, headers=users.rep.headers
    )
    assert response.status_code == 403
