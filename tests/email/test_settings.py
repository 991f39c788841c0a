"""SMTP settings: admins only; the password stored encrypted with a key derived from the
secret key and never returned; ``nexa doctor``'s connection check against the real server."""

from __future__ import annotations

from typing import Any

import pytest

from nexa.core.actor import SYSTEM
from nexa.core.secretbox import SecretUnreadable, seal, unseal
from nexa.email import service
from nexa.email.repository import EmailRepository
from tests.email.conftest import SmtpServer
from tests.factories.user import make_user


def test_settings_password_is_write_only_and_encrypted(
    client: Any, db: Any, smtp_server: SmtpServer
) -> None:
    admin = make_user(db, "admin")
    rep = make_user(db, "sales_rep")
    db.commit()
    assert client.get("/api/v1/email/settings", headers=admin.headers).json() == {
        "configured": False,
        "host": "",
        "port": 587,
        "security": "starttls",
        "username": "",
        "password_set": False,
        "from_domain": "",
        "from_name": "",
        "from_local_part": "crm",
    }
    settings = {
        "host": "127.0.0.1",
        "port": smtp_server.port,
        "security": "none",
        "username": "",
        "password": "s3cret-Passw0rd",
        "from_domain": "Mail.Example.com",
    }
    assert (
        client.put("/api/v1/email/settings", headers=rep.headers, json=settings).status_code == 403
    )
    put = client.put("/api/v1/email/settings", headers=admin.headers, json=settings)
    assert put.status_code == 200, put.text
    assert put.json()["password_set"] is True and "password" not in put.json()
    assert put.json()["from_domain"] == "mail.example.com"
    got = client.get("/api/v1/email/settings", headers=admin.headers)
    assert "s3cret" not in got.text
    stored = EmailRepository(db).smtp_settings()
    assert stored is not None and "s3cret" not in str(stored)
    config = service.smtp_config(db)
    assert config is not None and config.password == "s3cret-Passw0rd"
    # left out: kept; "": removed
    settings.pop("password")
    client.put("/api/v1/email/settings", headers=admin.headers, json=settings)
    assert service.smtp_config(db).password == "s3cret-Passw0rd"  # type: ignore[union-attr]
    client.put("/api/v1/email/settings", headers=admin.headers, json={**settings, "password": ""})
    assert (
        client.get("/api/v1/email/settings", headers=admin.headers).json()["password_set"] is False
    )
    bad = client.put(
        "/api/v1/email/settings",
        headers=admin.headers,
        json={**settings, "host": "smtp\r\nx", "security": "ssl"},
    )
    assert bad.status_code == 422


def test_secretbox_depends_on_the_secret_key() -> None:
    token = seal("pw", "key-one")
    assert token != "pw" and unseal(token, "key-one") == "pw"
    with pytest.raises(SecretUnreadable):
        unseal(token, "key-two")


def test_connection_check(db: Any, smtp_server: SmtpServer) -> None:
    from nexa.email.schemas import SmtpSettingsIn

    assert service.check_connection(db) is None  # not configured
    fields = {"host": "127.0.0.1", "port": smtp_server.port, "security": "none"}
    service.put_smtp_settings(db, SYSTEM, SmtpSettingsIn(**fields, from_domain="mail.example.com"))
    reply = service.check_connection(db)
    assert reply is not None and reply.outcome == "sent" and reply.code == 250
    smtp_server.stop()
    reply = service.check_connection(db)
    assert reply is not None and reply.code is None and "Connection" in reply.text
