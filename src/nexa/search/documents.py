"""What global search indexes for each record: a title and a body of plain words.

The body holds words only (no punctuation), so the FTS5 tokenizer and PostgreSQL's
``simple`` parser see the same tokens: ``ann@acme.com`` is indexed as ``ann acme com``.
Phones are indexed digits-only, with every suffix of at least four digits, so
``555 0101`` finds ``+15550101``.
"""

from __future__ import annotations

import re
import uuid
from typing import Any
from urllib.parse import urlsplit

from nexa.core.names import person_name
from nexa.core.text import clean_text
from nexa.models import Account, Contact, Deal, Lead

SEARCH_TYPES = ("lead", "contact", "account", "deal")
MODELS: dict[str, type[Any]] = {"lead": Lead, "contact": Contact, "account": Account, "deal": Deal}
WORD = re.compile(r"[^\W_]+")
MIN_PHONE_SUFFIX = 4


def words(text: str | None) -> list[str]:
    """The words of ``text`` as search sees them, in documents and queries alike: the text
    normaliser's form (nexa.core.text.clean_text: NFKC, invisible characters dropped), so
    ``Ａｃｍｅ`` finds ``Acme`` and ``Ac\u200bme`` is one word."""
    return WORD.findall(clean_text(text)) if text else []


def phone_tokens(phone: str | None) -> list[str]:
    digits = re.sub(r"\D", "", phone or "")
    if len(digits) < MIN_PHONE_SUFFIX:
        return [digits] if digits else []
    return [digits[i:] for i in range(len(digits) - MIN_PHONE_SUFFIX + 1)]


def domain_of(website: str | None) -> str | None:
    if not website:
        return None
    host = urlsplit(website if "//" in website else f"//{website}").hostname or ""
    return host.removeprefix("www.") or None


def title_of(record_type: str, record: Any) -> str:
    if record_type in ("lead", "contact"):
        return person_name(record.first_name, record.last_name)[:300]
    return str(record.name)[:300]


def document_title(record_type: str, record: Any) -> str:
    """The title a search document indexes (the shown title is ``title_of``'s)."""
    return clean_text(title_of(record_type, record))[:300]


def subtitle_of(record_type: str, record: Any, account_name: str | None = None) -> str | None:
    parts: list[str | None]
    if record_type == "contact":
        parts = [record.title, account_name, record.email]
    elif record_type == "lead":
        parts = [record.company, record.email]
    elif record_type == "account":
        parts = [record.industry, domain_of(record.website)]
    else:
        amount = f"{record.amount} {record.currency}" if record.amount is not None else None
        parts = [record.stage, amount, account_name]
    text = " · ".join(p for p in parts if p)
    return text or None


def body_of(record_type: str, record: Any, account_name: str | None) -> str:
    pieces: list[str | None] = []
    phones: list[str | None] = []
    if record_type == "contact":
        pieces += [record.email, record.title, record.department, account_name]
        phones += [record.phone, record.mobile]
    elif record_type == "lead":
        pieces += [record.email, record.company, record.title, domain_of(record.website)]
        phones.append(record.phone)
    elif record_type == "account":
        pieces += [domain_of(record.website), record.industry, record.account_number]
        phones.append(record.phone)
    else:
        pieces += [account_name, record.stage]
    pieces += [str(t) for t in (getattr(record, "tags", None) or [])]
    tokens = [w for piece in pieces for w in words(piece)]
    for phone in phones:
        tokens += words(phone)
        tokens += phone_tokens(phone)
    return " ".join(dict.fromkeys(tokens))


def account_id_of(record_type: str, record: Any) -> uuid.UUID | None:
    if record_type in ("contact", "deal"):
        return record.account_id
    return None
