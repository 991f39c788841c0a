"""The email tests' real SMTP server and delivery pump, for the invitations."""

from __future__ import annotations

from tests.email.conftest import pump, sessions, smtp_server

__all__ = ["pump", "sessions", "smtp_server"]
