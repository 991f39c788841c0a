"""`nexa mail watch --once` reads a real IMAP mailbox (Dovecot) into the database;
`nexa mail receive` listens for SMTP and stops on SIGTERM."""

from __future__ import annotations

import os
import signal
import smtplib
import socket
import subprocess
import sys
import time
from typing import Any

from nexa.core.actor import SYSTEM
from nexa.email.schemas import MailboxIn
from tests.cli.test_cli import cli_db, nexa, upgrade  # noqa: F401 (the fixture)
from tests.email.conftest import dovecot, free_port  # noqa: F401 (the fixture)
from tests.factories.email import mail

START_WAIT_SECONDS = 90


def test_watch_once_reads_the_enabled_mailboxes(cli_db: str, dovecot: Any) -> None:  # noqa: F811
    from nexa.core.db import session_scope
    from nexa.email.mailboxes import create_mailbox

    upgrade()
    address, password = dovecot.new_user()
    with session_scope() as session:
        create_mailbox(
            session,
            SYSTEM,
            MailboxIn(
                address=address,
                kind="shared",
                imap_host="127.0.0.1",
                imap_port=dovecot.port,
                imap_security="none",
                imap_password=password,
            ),
        )
    dovecot.append(address, mail(to=address))
    dovecot.append(address, mail(to=address))
    result = nexa("mail", "watch", "--once")
    assert result.exit_code == 0, result.output
    assert "2 new" in result.output and "stored" in result.output
    again = nexa("mail", "watch", "--once")
    assert again.exit_code == 0 and "0 new" in again.output


def test_receive_listens_and_stops_on_sigterm(cli_db: str) -> None:  # noqa: F811
    upgrade()
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from nexa.cli.main import app; app()",
            "mail",
            "receive",
            "--port",
            str(port),
        ],
        env={**os.environ},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + START_WAIT_SECONDS
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=2):
                    break
            except OSError:
                assert process.poll() is None, process.stdout.read()  # type: ignore[union-attr]
                time.sleep(0.2)
        with smtplib.SMTP("127.0.0.1", port, timeout=60) as smtp:
            smtp.ehlo()
            code, _ = smtp.docmd("MAIL FROM:<a@b.example>")
            assert code == 250
            code, _ = smtp.docmd("RCPT TO:<stranger@elsewhere.example>")
            assert code == 550
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=START_WAIT_SECONDS) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_doctor_names_a_failing_mailbox_and_checks_the_file_store(cli_db: str) -> None:  # noqa: F811
    from nexa.core.db import session_scope
    from nexa.email.mailboxes import create_mailbox

    upgrade()
    with session_scope() as session:
        box = create_mailbox(
            session,
            SYSTEM,
            MailboxIn(address="support@crm.example.com", kind="shared", imap_host="127.0.0.1"),
        )
        box.last_error = "ConnectionRefusedError: [Errno 111] Connection refused"
        box.last_checked_at = box.created_at
    result = nexa("doctor")
    assert "Mailboxes" in result.output and "support@crm.example.com" in result.output
    assert "Connection refused" in result.output
    assert "File store" in result.output and "writable" in result.output
