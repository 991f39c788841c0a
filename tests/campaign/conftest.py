"""Campaign tests use the email tests' real SMTP server, session factory and job pump."""

from tests.email.conftest import pump, sessions, smtp_server  # noqa: F401
