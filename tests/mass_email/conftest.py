"""Mass email tests use the email tests' real SMTP server and job pump."""

from __future__ import annotations

from tests.email.conftest import pump, sessions, smtp_server

__all__ = ["pump", "sessions", "smtp_server"]
