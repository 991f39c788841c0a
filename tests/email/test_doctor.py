"""`nexa doctor` checks the SMTP connection when settings exist (the real server on loopback),
and says nothing about SMTP when there are none."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nexa.core.actor import SYSTEM
from nexa.core.db import make_engine, sessionmaker_for
from nexa.email.schemas import SmtpSettingsIn
from nexa.email.service import put_smtp_settings
from tests.cli.test_cli import cli_db, nexa, upgrade

__all__ = ["cli_db"]  # the fixture, used by name
from tests.email.conftest import SmtpServer


def _configure(url: str, port: int) -> None:
    engine = make_engine(url)
    try:
        with sessionmaker_for(engine)() as session:
            put_smtp_settings(
                session,
                SYSTEM,
                SmtpSettingsIn(
                    host="127.0.0.1", port=port, security="none", from_domain="mail.example.com"
                ),
            )
            session.commit()
    finally:
        engine.dispose()


def test_doctor_checks_smtp(cli_db: str, smtp_server: SmtpServer, test_env: Path) -> Any:
    upgrade()
    assert "SMTP" not in nexa("doctor").output
    _configure(cli_db, smtp_server.port)
    out = nexa("doctor").output
    assert "✓ SMTP: the server answers: 250" in out, out
    smtp_server.stop()
    result = nexa("doctor")
    assert "✗ SMTP: the server does not accept us: connection" not in result.output
    assert "✗ SMTP: the server does not accept us:" in result.output, result.output
    assert result.exit_code == 1
