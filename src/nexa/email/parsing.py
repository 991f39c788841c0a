"""Reading a received message: bytes → :class:`ParsedMail`, with nothing written.

Parsed with ``email`` and ``policy.default``. Whatever the bytes are — malformed MIME, raw
8-bit headers, unknown charsets, a missing Message-ID — the result is a ParsedMail: what
could not be read is replaced (U+FFFD) or left empty and named in ``defects``, never an
exception. Text is made storable: surrogate escapes from 8-bit headers are decoded as UTF-8
(else Windows-1252), NUL characters removed, lengths bounded by the columns they go to.

Besides the addresses, bodies and attachments it tells:

- ``auto_submitted``: mail nothing must answer — ``Auto-Submitted`` other than ``no``
  (RFC 3834), ``Precedence: bulk | junk | list | auto_reply``, ``X-Autoreply``,
  ``X-Autorespond``, ``X-Auto-Response-Suppress`` (Exchange's out-of-office), mailing lists
  (``List-Id``, ``List-Unsubscribe``), the null sender ``Return-Path: <>`` and every delivery
  status notification;
- ``dsn``: a delivery status notification (RFC 3464, ``multipart/report;
  report-type=delivery-status``): each recipient's action and status, the original
  Message-ID and the VERP row id of the message it reports on (``bounces+<hex>@…``,
  nexa.email.mime).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr, parsedate_to_datetime
from typing import Any

MESSAGE_ID_MAX = 250  # the column
SUBJECT_MAX = 998
ADDRESS_MAX = 320
NAME_MAX = 200
_MSGID = re.compile(r"<[^<>\s]+>")
_VERP = re.compile(r"bounces\+([0-9a-f]{32})@", re.IGNORECASE)
_REPLY_PREFIX = re.compile(r"^\s*((re|fw|fwd|aw|wg|sv|vs|antw|rif|tr)(\[\d+\])?\s*:\s*)+", re.I)
_BULK_PRECEDENCE = frozenset({"bulk", "junk", "list", "auto_reply"})


@dataclass(frozen=True)
class Attachment:
    filename: str | None
    content_type: str
    data: bytes


@dataclass(frozen=True)
class RecipientStatus:
    address: str
    action: str  # failed | delayed | delivered | relayed | expanded
    status: str  # 5.1.1 …
    diagnostic: str

    @property
    def hard(self) -> bool:
        return self.action == "failed" and self.status.startswith("5")

    @property
    def soft(self) -> bool:
        return not self.hard and (self.status.startswith("4") or self.action == "delayed")


@dataclass(frozen=True)
class Dsn:
    recipients: tuple[RecipientStatus, ...]
    original_message_id: str | None
    verp_id: str | None  # the row id (hex) of the message it reports on


@dataclass(frozen=True)
class Complaint:
    """A feedback report (ARF, RFC 5965): a recipient's provider says they marked a message
    of ours as spam (``feedback_type`` abuse, fraud …)."""

    feedback_type: str
    original_rcpt: str | None
    original_message_id: str | None


@dataclass
class ParsedMail:
    message_id: str
    message_id_given: bool
    in_reply_to: str | None
    references: list[str]
    subject: str
    from_name: str
    from_address: str
    to: list[tuple[str, str]]
    cc: list[tuple[str, str]]
    date: datetime | None
    text: str
    html: str | None
    attachments: list[Attachment] = field(default_factory=list)
    auto_submitted: bool = False
    auto_reason: str | None = None
    dsn: Dsn | None = None
    complaint: Complaint | None = None
    verp_id: str | None = None
    defects: list[str] = field(default_factory=list)
    size: int = 0

    @property
    def subject_key(self) -> str:
        return subject_key(self.subject)

    @property
    def reply_subject(self) -> bool:
        return bool(_REPLY_PREFIX.match(self.subject))

    @property
    def from_domain(self) -> str:
        return self.from_address.rpartition("@")[2][:253]


_MISSING = object()


class ReceivedMessage(EmailMessage):
    """``EmailMessage`` (``policy.default``) whose header reads are remembered: the header
    registry parses a header again on every read, and reading a received message asks for
    its Content-Type alone some thirty times (the parser, the body search, each part's type,
    filename and disposition). Headers set again (``set_raw``, item assignment, deletion)
    forget what was remembered. Only for reading: a received message is not changed."""

    def _memo(self) -> dict[str, Any]:
        memo: dict[str, Any] | None = self.__dict__.get("_nexa_memo")
        if memo is None:
            memo = self.__dict__["_nexa_memo"] = {}
        return memo

    def get(self, name: str, failobj: Any = None) -> Any:
        memo = self._memo()
        key = name.lower()
        if key not in memo:
            memo[key] = super().get(name, _MISSING)
        value = memo[key]
        return failobj if value is _MISSING else value

    def set_raw(self, name: str, value: Any) -> None:
        self._memo().pop(name.lower(), None)
        super().set_raw(name, value)

    def __setitem__(self, name: str, val: Any) -> None:
        self._memo().pop(name.lower(), None)
        super().__setitem__(name, val)

    def __delitem__(self, name: str) -> None:
        self._memo().pop(name.lower(), None)
        super().__delitem__(name)


def subject_key(subject: str) -> str:
    """The subject as threads compare it: reply and forward prefixes removed (Re:, Fwd:,
    AW:, SV: …), whitespace collapsed, case folded."""
    return " ".join(_REPLY_PREFIX.sub("", subject or "").split()).casefold()[:SUBJECT_MAX]


def storable(value: Any, limit: int | None = None) -> str:
    """``value`` as text a database stores: surrogate escapes (8-bit bytes in headers)
    decoded as UTF-8, else Windows-1252; NUL removed; cut at ``limit``."""
    text = "" if value is None else str(value)
    if any("\udc80" <= ch <= "\udcff" for ch in text):
        raw = text.encode("utf-8", "surrogateescape")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = raw.decode("cp1252", "replace")
    text = text.encode("utf-8", "replace").decode("utf-8").replace("\x00", "")
    return text[:limit] if limit else text


def _header(msg: Message, name: str, defects: list[str]) -> str | None:
    """A header's decoded value (None when absent); a value the header registry cannot read
    is taken raw and named in ``defects``."""
    try:
        value = msg.get(name)
    except Exception as exc:  # the header registry raises on some malformed values
        defects.append(f"{name}: unreadable ({type(exc).__name__})")
        for key, raw in msg.raw_items():
            if key.lower() == name.lower():
                return storable(raw)
        return None
    if value is None:
        return None
    found = getattr(value, "defects", ())
    if found:
        defects.append(f"{name}: {'; '.join(type(d).__name__ for d in found)}")
    return storable(value)


Raw = dict[str, list[str]]


def _raw_headers(msg: Message) -> Raw:
    """Every header's raw values by lower-cased name, unfolded, read once: what needs no
    decoding (ids, dates, flags) is taken from here, without the header registry's parse on
    each access (the bulk of a message's parsing time otherwise)."""
    found: Raw = {}
    for key, value in msg.raw_items():
        text = value if isinstance(value, str) else str(value)
        found.setdefault(key.lower(), []).append(" ".join(text.split()))
    return found


def _first(raw: Raw, name: str) -> str | None:
    values = raw.get(name.lower())
    return storable(values[0]) if values else None


def _addresses(msg: Message, name: str, defects: list[str]) -> list[tuple[str, str]]:
    value = _header(msg, name, defects)
    if not value:
        return []
    out = []
    for display, address in getaddresses([value]):
        address = storable(address).strip().strip("<>")
        if "@" in address and len(address) <= ADDRESS_MAX and not any(c.isspace() for c in address):
            out.append((storable(display, NAME_MAX), address))
    return out


def _message_ids(value: str | None) -> list[str]:
    return [m for m in _MSGID.findall(value or "") if len(m) <= MESSAGE_ID_MAX]


def _decoded(part: Message, defects: list[str]) -> str:
    try:
        content = part.get_content()  # type: ignore[attr-defined]
        if isinstance(content, bytes):
            content = content.decode("utf-8", "replace")
        return storable(content)
    except Exception as exc:  # unknown charset, broken transfer encoding
        defects.append(f"body {part.get_content_type()}: {type(exc).__name__}, read as UTF-8")
        payload = part.get_payload(decode=True)
        if isinstance(payload, bytes):
            return storable(payload.decode("utf-8", "replace"))
        return storable(part.get_payload())


def _is_auto(raw: Raw) -> str | None:
    """Why nothing may answer this message (None: a person may get an answer)."""
    auto = (_first(raw, "Auto-Submitted") or "").split(";")[0].strip().lower()
    if auto and auto != "no":
        return f"Auto-Submitted: {auto}"
    precedence = (_first(raw, "Precedence") or "").strip().lower()
    if precedence in _BULK_PRECEDENCE:
        return f"Precedence: {precedence}"
    for name in ("X-Autoreply", "X-Autorespond", "X-Autogenerated", "X-AutoReply-From"):
        if name.lower() in raw:
            return name
    suppress = (_first(raw, "X-Auto-Response-Suppress") or "").lower()
    if any(word in suppress for word in ("all", "oof", "autoreply")):
        return "X-Auto-Response-Suppress"
    for name in ("List-Id", "List-Unsubscribe"):
        if name.lower() in raw:
            return f"{name} (a mailing list)"
    return_path = _first(raw, "Return-Path")
    if return_path is not None and return_path.strip() in ("<>", ""):
        return "null sender (Return-Path: <>)"
    return None


def _dsn(msg: Message, defects: list[str]) -> Dsn | None:
    if msg.get_content_type() != "multipart/report":
        return None
    if str(msg.get_param("report-type") or "").lower() != "delivery-status":
        return None
    recipients: list[RecipientStatus] = []
    original: str | None = None
    for part in msg.walk():
        kind = part.get_content_type()
        if kind == "message/delivery-status":
            blocks = part.get_payload()
            if not isinstance(blocks, list):
                defects.append("delivery-status: unreadable")
                continue
            for block in blocks[1:]:  # the first block is per message
                if not isinstance(block, Message):
                    continue
                final = str(block.get("Final-Recipient") or block.get("Original-Recipient") or "")
                address = storable(final.split(";", 1)[-1].strip().strip("<>"), ADDRESS_MAX)
                recipients.append(
                    RecipientStatus(
                        address=address.lower(),
                        action=str(block.get("Action") or "").strip().lower(),
                        status=str(block.get("Status") or "").strip().split(" ")[0],
                        diagnostic=storable(block.get("Diagnostic-Code") or "", 1000),
                    )
                )
        elif kind in ("message/rfc822", "text/rfc822-headers", "message/rfc822-headers"):
            inner = part.get_payload()
            headers = inner[0] if isinstance(inner, list) and inner else None
            if headers is None and kind != "message/rfc822":
                raw = part.get_payload(decode=True)
                raw = raw if isinstance(raw, bytes) else b""
                headers = BytesParser(policy=policy.default).parsebytes(raw, headersonly=True)
            if isinstance(headers, Message):
                found = _message_ids(str(headers.get("Message-ID") or ""))
                original = original or (found[0] if found else None)
    return Dsn(tuple(recipients), original, None)


_FIELD = re.compile(r"^([A-Za-z-]+):\s*(.*)$", re.M)


def _arf(msg: Message, defects: list[str]) -> Complaint | None:
    if msg.get_content_type() != "multipart/report":
        return None
    if str(msg.get_param("report-type") or "").lower() != "feedback-report":
        return None
    fields: dict[str, str] = {}
    original: str | None = None
    for part in msg.walk():
        kind = part.get_content_type()
        if kind == "message/feedback-report":
            inner = part.get_payload()
            if isinstance(inner, list) and inner and isinstance(inner[0], Message):
                fields = {k.lower(): str(v) for k, v in inner[0].items()}
            else:
                raw = part.get_payload(decode=True)
                text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(inner)
                fields = {m.group(1).lower(): m.group(2).strip() for m in _FIELD.finditer(text)}
        elif kind in ("message/rfc822", "text/rfc822-headers", "message/rfc822-headers"):
            inner = part.get_payload()
            headers = inner[0] if isinstance(inner, list) and inner else None
            if headers is None and kind != "message/rfc822":
                raw = part.get_payload(decode=True)
                headers = BytesParser(policy=policy.default).parsebytes(
                    raw if isinstance(raw, bytes) else b"", headersonly=True
                )
            if isinstance(headers, Message):
                found = _message_ids(str(headers.get("Message-ID") or ""))
                original = original or (found[0] if found else None)
    if not fields:
        defects.append("feedback report: no feedback fields")
    rcpt = fields.get("original-rcpt-to", "").strip().strip("<>").lower() or None
    return Complaint(
        feedback_type=storable(fields.get("feedback-type", "abuse").strip().lower() or "abuse", 40),
        original_rcpt=storable(rcpt, ADDRESS_MAX) if rcpt else None,
        original_message_id=original,
    )


def _verp(raw: Raw) -> str | None:
    for name in ("x-original-to", "delivered-to", "envelope-to", "to"):
        for value in raw.get(name, ()):
            match = _VERP.search(value)
            if match:
                return match.group(1).lower()
    return None


def parse(raw: bytes) -> ParsedMail:
    """Read one message (see the module's docstring): never raises on what the bytes hold."""
    defects: list[str] = []
    msg = BytesParser(ReceivedMessage, policy=policy.default).parsebytes(raw)
    assert isinstance(msg, EmailMessage)
    defects.extend(f"MIME: {type(d).__name__}" for d in msg.defects)
    raw_headers = _raw_headers(msg)
    given = _message_ids(_first(raw_headers, "Message-ID"))
    message_id = given[0] if given else f"<{hashlib.sha256(raw).hexdigest()[:40]}@nexa.invalid>"
    if not given:
        defects.append("no usable Message-ID: one was made from the message's bytes")
    senders = _addresses(msg, "From", defects) or _addresses(msg, "Sender", defects)
    from_name, from_address = senders[0] if senders else ("", "")
    if not from_address:
        _, bare = parseaddr(_first(raw_headers, "Return-Path") or "")
        from_address = bare if "@" in bare and len(bare) <= ADDRESS_MAX else ""
    date = None
    try:
        raw_date = _first(raw_headers, "Date")
        if raw_date:
            date = parsedate_to_datetime(raw_date)
            date = date.replace(tzinfo=UTC) if date.tzinfo is None else date.astimezone(UTC)
    except (TypeError, ValueError, IndexError, OverflowError):
        defects.append("Date: unreadable")
        date = None
    # one walk: the first inline text/plain and text/html parts are the bodies, every other
    # leaf (but the parts of a delivery report) an attachment
    text_part: Message | None = None
    html_part: Message | None = None
    attachments: list[Attachment] = []
    for part in msg.walk():
        if part.is_multipart():
            continue
        kind = part.get_content_type()
        if kind.startswith("message/") or kind == "text/rfc822-headers":
            continue
        filename = part.get_filename()
        if not filename and part.get_content_disposition() != "attachment":
            if kind == "text/plain" and text_part is None:
                text_part = part
                continue
            if kind == "text/html" and html_part is None:
                html_part = part
                continue
            if part.get_content_maintype() == "text":
                continue  # an unnamed text part that is not the body: a stray alternative
        try:
            data = part.get_payload(decode=True)
        except Exception as exc:
            defects.append(f"attachment {filename!r}: {type(exc).__name__}")
            continue
        if not isinstance(data, bytes):
            continue
        attachments.append(Attachment(storable(filename) if filename else None, kind, data))
    text = _decoded(text_part, defects) if text_part is not None else ""
    html = _decoded(html_part, defects) if html_part is not None else None
    dsn = _dsn(msg, defects)
    verp_id = _verp(raw_headers)
    if dsn is not None:
        dsn = Dsn(dsn.recipients, dsn.original_message_id, verp_id)
    complaint = _arf(msg, defects) if dsn is None else None
    if dsn is not None:
        reason: str | None = "a delivery status notification"
    elif complaint is not None:
        reason = "a feedback report (a spam complaint)"
    else:
        reason = _is_auto(raw_headers)
    return ParsedMail(
        message_id=message_id,
        message_id_given=bool(given),
        in_reply_to=next(iter(_message_ids(_first(raw_headers, "In-Reply-To"))), None),
        references=_message_ids(_first(raw_headers, "References"))[-50:],
        subject=storable(_header(msg, "Subject", defects) or "", SUBJECT_MAX),
        from_name=storable(from_name, NAME_MAX),
        from_address=from_address.lower(),
        to=_addresses(msg, "To", defects),
        cc=_addresses(msg, "Cc", defects),
        date=date,
        text=text,
        html=html,
        attachments=attachments,
        auto_submitted=reason is not None,
        auto_reason=reason,
        dsn=dsn,
        complaint=complaint,
        verp_id=verp_id,
        defects=defects[:50],
        size=len(raw),
    )
