"""The MIME message of a row, built at delivery (``email.message.EmailMessage`` with
``policy.SMTP``: CRLF line ends, RFC 2047-encoded non-ASCII names and subjects).

The row fixes everything that must not change between attempts — Message-ID, subject,
bodies, addresses — so a retry sends the same message with the same id. The envelope sender
is a per-message VERP address, ``bounces+<token>@<from-domain>``: a bounce names the message
it is about. Marketing mail carries ``List-Unsubscribe`` (an HTTPS URL and a mailto) and
``List-Unsubscribe-Post: List-Unsubscribe=One-Click`` (RFC 8058)."""

from __future__ import annotations

from dataclasses import dataclass
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

from itsdangerous import URLSafeSerializer

from nexa.core.filestore import default_store

UNSUBSCRIBE_SALT = "nexa.email.unsubscribe"


@dataclass(frozen=True)
class Outgoing:
    """A claimed message: everything one attempt needs, read in the claiming transaction."""

    id: str
    message_id: str
    kind: str
    from_name: str
    from_address: str
    from_domain: str
    reply_to: str | None
    to: tuple[tuple[str, str], ...]  # (name, address)
    cc: tuple[tuple[str, str], ...]
    bcc: tuple[tuple[str, str], ...]
    subject: str
    text: str
    html: str | None
    created_at: Any
    unsubscribe_url: str | None = None
    attempts: int = 1  # this one included
    in_reply_to: str | None = None
    references: str | None = None
    attachments: tuple[tuple[str, str, str], ...] = ()  # (file name, content type, store key)

    @property
    def recipients(self) -> list[str]:
        return [address for _, address in (*self.to, *self.cc, *self.bcc)]

    @property
    def return_path(self) -> str:
        return verp_address(self.id, self.from_domain)


def verp_address(message_row_id: str, from_domain: str) -> str:
    """The envelope sender of one message: ``bounces+<row id, hex>@<from-domain>``."""
    return f"bounces+{message_row_id.replace('-', '')}@{from_domain}"


def unsubscribe_token(message_row_id: str, secret_key: str) -> str:
    return str(URLSafeSerializer(secret_key, salt=UNSUBSCRIBE_SALT).dumps(message_row_id))


def unsubscribe_url(public_url: str, message_row_id: str, secret_key: str) -> str:
    """The one-click unsubscribe URL of a message, served by nexa.email.public (GET: a page
    with a button; POST: RFC 8058 one-click). The token does not expire."""
    token = unsubscribe_token(message_row_id, secret_key)
    return f"{public_url.rstrip('/')}/email/unsubscribe/{token}"


def _address(name: str, address: str) -> Address:
    local, _, domain = address.rpartition("@")
    return Address(display_name=name or "", username=local, domain=domain)


def build(outgoing: Outgoing) -> EmailMessage:
    msg = EmailMessage(policy=policy.SMTP)
    msg["From"] = _address(outgoing.from_name, outgoing.from_address)
    msg["To"] = (
        [_address(n, a) for n, a in outgoing.to] if outgoing.to else "undisclosed-recipients:;"
    )
    if outgoing.cc:
        msg["Cc"] = [_address(n, a) for n, a in outgoing.cc]
    if outgoing.reply_to:
        msg["Reply-To"] = _address("", outgoing.reply_to)
    msg["Subject"] = outgoing.subject
    msg["Date"] = format_datetime(outgoing.created_at)
    msg["Message-ID"] = outgoing.message_id
    if outgoing.kind == "marketing" and outgoing.unsubscribe_url:
        token_address = f"unsubscribe+{outgoing.id.replace('-', '')}@{outgoing.from_domain}"
        msg["List-Unsubscribe"] = f"<{outgoing.unsubscribe_url}>, <mailto:{token_address}>"
        msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    if outgoing.in_reply_to:
        msg["In-Reply-To"] = outgoing.in_reply_to
        msg["References"] = outgoing.references or outgoing.in_reply_to
    msg.set_content(outgoing.text)
    if outgoing.html:
        msg.add_alternative(outgoing.html, subtype="html")
    if outgoing.attachments:
        store = default_store()
        for filename, content_type, key in outgoing.attachments:
            maintype, _, subtype = content_type.partition("/")
            if not subtype or maintype == "multipart":
                maintype, subtype = "application", "octet-stream"
            msg.add_attachment(store.read(key), maintype=maintype, subtype=subtype,
                               filename=filename)  # fmt: skip
    return msg
