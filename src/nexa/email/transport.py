"""One SMTP connection (stdlib ``smtplib``) reused for a batch of messages, and what each
reply means: 2xx sent, 4xx or a broken connection deferred (tried again later), 5xx failed.

No database work here: the delivery opens no transaction while it talks to the server."""

from __future__ import annotations

import ipaddress
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from types import TracebackType

MAX_REPLY = 1000


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    security: str  # starttls | tls | none
    username: str
    password: str
    from_domain: str
    from_name: str
    from_local_part: str
    timeout: float = 30.0
    # NEXA_OUTBOUND_LOOPBACK_ONLY (the test suite): connect to a loopback address or nothing
    loopback_only: bool = False

    @property
    def from_address(self) -> str:
        return f"{self.from_local_part}@{self.from_domain}"


@dataclass(frozen=True)
class Reply:
    """What the server said about one message: ``code`` None = no reply (connection)."""

    outcome: str  # sent | deferred | failed
    code: int | None
    text: str


def _decode(raw: bytes | str) -> str:
    return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)


def _reply(code: int, raw: bytes | str) -> Reply:
    text = f"{code} {_decode(raw)}".strip()[:MAX_REPLY]
    if 200 <= code < 300:
        return Reply("sent", code, text)
    return Reply("failed" if code >= 500 else "deferred", code, text)


def _is_loopback(host: str) -> bool:
    """A loopback IP literal or ``localhost`` (no name is looked up)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class Connection:
    """``with Connection(config) as conn: conn.send(msg, sender, recipients)``. The first
    ``send`` connects; after a broken connection the next ``send`` connects again."""

    def __init__(self, config: SmtpConfig) -> None:
        self.config = config
        self._smtp: smtplib.SMTP | None = None

    def __enter__(self) -> Connection:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def open(self) -> smtplib.SMTP:
        if self._smtp is not None:
            return self._smtp
        c = self.config
        if c.loopback_only and not _is_loopback(c.host):
            raise OSError(
                f"refused: {c.host} is not a loopback address and outbound connections are "
                "limited to loopback here (NEXA_OUTBOUND_LOOPBACK_ONLY)"
            )
        smtp: smtplib.SMTP
        if c.security == "tls":
            smtp = smtplib.SMTP_SSL(
                c.host, c.port, timeout=c.timeout, context=ssl.create_default_context()
            )
        else:
            smtp = smtplib.SMTP(c.host, c.port, timeout=c.timeout, local_hostname=c.from_domain)
        try:
            smtp.ehlo_or_helo_if_needed()
            if c.security == "starttls":
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if c.username:
                smtp.login(c.username, c.password)
        except BaseException:
            smtp.close()
            raise
        self._smtp = smtp
        return smtp

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (smtplib.SMTPException, OSError):
                self._smtp.close()
            self._smtp = None

    def _broken(self) -> None:
        if self._smtp is not None:
            self._smtp.close()
            self._smtp = None

    def check(self) -> Reply:
        """Connect (TLS and sign-in included) and NOOP: ``nexa doctor``'s check."""
        try:
            code, text = self.open().noop()
        except smtplib.SMTPResponseException as exc:
            self._broken()
            return _reply(exc.smtp_code, exc.smtp_error)
        except (smtplib.SMTPException, OSError, ssl.SSLError) as exc:
            self._broken()
            return Reply("deferred", None, f"{type(exc).__name__}: {exc}"[:MAX_REPLY])
        return _reply(code, text)

    def send(self, message: EmailMessage, sender: str, recipients: list[str]) -> Reply:
        """MAIL FROM, RCPT TO each, DATA: the reply to DATA when accepted (recipients a
        server refused while it took others are named in it); else the refusal."""
        try:
            smtp = self.open()
        except smtplib.SMTPResponseException as exc:
            self._broken()
            return _reply(exc.smtp_code, exc.smtp_error)
        except (smtplib.SMTPException, OSError, ssl.SSLError) as exc:
            self._broken()
            return Reply("deferred", None, f"connection: {type(exc).__name__}: {exc}"[:MAX_REPLY])
        try:
            code, raw = smtp.mail(sender)
            if code != 250:
                smtp.rset()
                return _reply(code, raw)
            refused: dict[str, tuple[int, str]] = {}
            for address in recipients:
                code, raw = smtp.rcpt(address)
                if code not in (250, 251):
                    refused[address] = (code, _decode(raw))
            if len(refused) == len(recipients):
                smtp.rset()
                worst = max(refused.values(), key=lambda r: r[0] >= 500)
                return _reply(*worst)
            code, raw = smtp.data(message.as_bytes())
            reply = _reply(code, raw)
            if reply.outcome == "sent" and refused:
                names = ", ".join(f"{a} ({c})" for a, (c, _) in refused.items())
                return Reply("sent", code, f"{reply.text}; refused: {names}"[:MAX_REPLY])
            if reply.outcome != "sent":
                smtp.rset()
            return reply
        except smtplib.SMTPResponseException as exc:
            self._broken()
            return _reply(exc.smtp_code, exc.smtp_error)
        except (TimeoutError, smtplib.SMTPException, OSError) as exc:
            self._broken()
            return Reply("deferred", None, f"connection: {type(exc).__name__}: {exc}"[:MAX_REPLY])
