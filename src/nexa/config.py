"""Settings, read from the environment with the prefix ``NEXA_`` (and an optional ``.env``)."""

from __future__ import annotations

import ipaddress
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from nexa.core.files import private_dir, write_private_text


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="NEXA_", env_file=".env", extra="ignore")

    var_dir: Path = Field(
        Path("var"),
        description="Folder for the SQLite file, job storage, uploads, recordings: kept "
        "0700 (its files 0600), corrected at start-up",
    )
    database_url: str = Field("", description="SQLAlchemy URL; empty = SQLite file var/nexa.db")
    redis_url: str = Field("", description="Redis URL for job storage; empty = SQLite job storage")
    secret_key: str = Field("", description="Signs session cookies; empty = generated into var/")
    cookie_secure: bool = Field(True, description="Mark the session cookie Secure (HTTPS only)")
    session_max_age_hours: int = Field(
        12, ge=1, description="How long a sign-in lasts (the server ends it then at the latest)"
    )
    login_max_failures: int = Field(
        5,
        ge=1,
        description="Failed sign-ins for one email from one client address before that address "
        "must wait between attempts for that email",
    )
    login_backoff_seconds: int = Field(
        30, ge=1, description="The first wait after login_max_failures; doubles per failure"
    )
    login_backoff_max_seconds: int = Field(
        900, ge=1, description="The longest wait between attempts (the doubling stops there)"
    )
    login_failure_memory_hours: int = Field(
        24, ge=1, description="Failed sign-ins older than this no longer count towards a wait"
    )
    login_rate_per_minute: int = Field(20, ge=1, description="Sign-in attempts per client address")
    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Addresses or networks (CIDR) of the reverse proxies whose X-Forwarded-For "
        "and X-Forwarded-Proto are believed; comma-separated; empty = none (the connecting "
        "address is the client)",
    )
    org_name: str = Field("Nexa Demo Inc.", description="The organization's display name")
    org_currency: str = Field("USD", min_length=3, max_length=3, description="Reporting currency")
    default_region: str = Field("US", description="Region for phone numbers written without +")
    jobs_immediate: bool = Field(False, description="Run jobs inline (tests, single-process use)")
    test_clock_file: Path | None = Field(
        None,
        description="Tests only: a file holding seconds to add to the clock that campaigns, "
        "booking and scheduled sends read (server and worker read the same file, so a test "
        "moves time for both); never set it in production",
    )
    outbound_loopback_only: bool = Field(
        False,
        description="Outbound HTTP (webhooks) may reach loopback addresses only: the test "
        "suite sets it so that nothing it does (fuzzing included) leaves the machine",
    )
    worker_interactive_threads: int = Field(
        2, ge=1, description="Worker threads for SLA clocks, notifications, reminders"
    )
    worker_deliveries_threads: int = Field(
        2, ge=1, description="Worker threads for outbox and webhook delivery"
    )
    worker_bulk_threads: int = Field(1, ge=1, description="Worker threads for imports, exports")
    worker_ai_threads: int = Field(1, ge=1, description="Worker threads for training, rescoring")
    worker_poll_seconds: float = Field(0.1, gt=0, description="Huey consumer polling interval")
    log_level: str = Field("INFO", description="Python logging level")
    recording_retention_days: int = Field(
        0,
        ge=0,
        description="Days a call recording is kept after the call started (0 = until "
        "deleted); the hourly sweep removes older ones",
    )
    import_file_retention_days: int = Field(
        30,
        ge=1,
        description="Days an import's uploaded file is kept after the import finished (the "
        "hourly sweep removes it; the import row records when)",
    )
    # outbound email (issue 17): the SMTP server itself is an organization setting (admin page,
    # GET/PUT /api/v1/email/settings); these bound what one message and one domain may do
    email_max_recipients: int = Field(
        100, ge=1, description="Most recipients (to + cc + bcc) of one message; more is a 422"
    )
    email_hourly_limit_per_domain: int = Field(
        1000,
        ge=1,
        description="Messages delivered per hour from one from-domain; the rest wait (deferred)",
    )
    email_batch_size: int = Field(
        50, ge=1, description="Messages one delivery job sends over one SMTP connection"
    )
    email_lease_seconds: int = Field(
        300,
        ge=10,
        description="How long a worker holds the messages it claimed: after a crash they are "
        "sent again once this has passed",
    )
    email_smtp_timeout_seconds: float = Field(
        30.0, gt=0, description="SMTP connect and reply timeout, in seconds"
    )
    # the drafting assistant: offline unless an OpenAI-compatible endpoint is set (a llama.cpp
    # or Ollama server the customer runs); then the record's facts are sent to it
    assistant_url: str | None = Field(
        None,
        description="Base URL of an OpenAI-compatible API (…/v1) for email drafts; unset: "
        "drafts are made on this server and no customer data leaves it",
    )
    assistant_model: str = Field("local", description="The model name sent to that endpoint")
    assistant_api_key: str | None = Field(None, description="Bearer token for that endpoint")
    assistant_timeout_seconds: float = Field(
        20.0, gt=0, description="How long a draft waits for the endpoint before the offline one"
    )
    # inbound email (issue 17): mailboxes are organization data (admin page, API); these
    # bound what one received message may bring and how the watcher waits
    email_max_attachment_bytes: int = Field(
        25 * 1024 * 1024,
        ge=1,
        description="Largest attachment kept from a received message; a larger one is "
        "recorded on the message as refused, not stored",
    )
    email_max_message_bytes: int = Field(
        50 * 1024 * 1024,
        ge=1024,
        description="Largest received message read at all; a larger one is recorded as "
        "refused (its receipt says why)",
    )
    mail_poll_seconds: float = Field(
        60.0, gt=0, description="How often `nexa mail watch` polls a server without IDLE"
    )
    mail_idle_seconds: float = Field(
        300.0, gt=0, description="How long one IMAP IDLE waits before it is issued again"
    )
    files_dir: Path | None = Field(
        None,
        description="The file store (email attachments; later documents, recordings): a "
        "local folder, a shared mount when several web servers run; empty = var/files",
    )
    public_url: str = Field(
        "http://127.0.0.1:8000",
        description="The address people reach Nexa at (links in mail: the unsubscribe URL)",
    )
    email_tracking_max_age_days: int = Field(
        180,
        ge=1,
        description="How long the open pixel and tracked links of a message record (and "
        "redirect), in days",
    )
    email_machine_open_seconds: float = Field(
        10.0,
        ge=0,
        description="An open or click this soon after delivery is a machine's (a mail "
        "proxy or scanner fetching it), kept out of rates",
    )
    # user-written templates (quote PDFs; email, campaign and workflow templates later):
    # nexa.core.templating renders them within these limits
    template_max_output_chars: int = Field(
        1_000_000, ge=1_000, description="Longest rendered output (and any value made in it)"
    )
    template_max_render_seconds: float = Field(
        2.0, gt=0, description="Wall-clock time one render may take"
    )
    template_max_iterations: int = Field(
        100_000, ge=100, description="Loop iterations and calls in one render, in total"
    )
    template_max_range: int = Field(10_000, ge=10, description="Largest range() in a template")

    @field_validator("org_currency")
    @classmethod
    def _iso_currency(cls, v: str) -> str:
        from nexa.core.money import ISO_4217

        if v.upper() not in ISO_4217:
            raise ValueError(f"NEXA_ORG_CURRENCY: {v} is not an ISO 4217 currency code")
        return v

    @field_validator("files_dir", mode="before")
    @classmethod
    def _empty_files_dir(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _proxies(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for item in value:
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise ValueError(f"{item!r} is not an IP address or network (CIDR)") from None
        return value

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.var_dir / 'nexa.db').as_posix()}"

    @property
    def effective_files_dir(self) -> Path:
        return self.files_dir if self.files_dir is not None else self.var_dir / "files"

    @property
    def effective_secret_key(self) -> str:
        if self.secret_key:
            return self.secret_key
        path = self.var_dir / "secret_key"
        if not path.exists():
            private_dir(self.var_dir)
            write_private_text(path, secrets.token_urlsafe(48))
        return path.read_text().strip()


@lru_cache
def get_settings() -> Settings:
    return Settings()
